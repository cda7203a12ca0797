import type { GatewayPolicyProps, GatewayPorts } from '../core';
import type { INetwork, ISubnetwork } from './refs';

export interface WardenGcpGatewayProps extends GatewayPolicyProps {
  /** Project every resource is created in. */
  readonly project: string;
  /** Region of the instance group, load balancer, keys, buckets and registry. */
  readonly region: string;
  /** VPC the gateway and its targets share. */
  readonly network: INetwork;
  /** Subnetwork (in `region`, with Private Google Access) for the VMs and the load balancer. */
  readonly subnetwork: ISubnetwork;
  /**
   * Address ranges clients (agents, people's machines, CI) connect from. Give this or
   * `clientTags`, or both.
   * @default - none
   */
  readonly clientRanges?: readonly string[];
  /** Network tags of client VMs in the same network. @default - none */
  readonly clientTags?: readonly string[];
  /**
   * Gateway image URI. Build and push it with `buildAndPushCommand`.
   * @default `<region>-docker.pkg.dev/<project>/<namePrefix>/warden-gateway:latest`
   */
  readonly image?: string;
  /** Prefix of every resource name; lower case, at most 20 characters. @default 'warden' */
  readonly namePrefix?: string;
  /** @default 'e2-standard-2' */
  readonly machineType?: string;
  /** Gateway VMs, spread over the region's zones. @default 2 */
  readonly instances?: number;
  /** Boot image. @default 'projects/cos-cloud/global/images/family/cos-stable' */
  readonly sourceImage?: string;
  /** Boot disk size; holds audit segments and recordings until they are uploaded. @default 20 */
  readonly diskSizeGb?: number;
  /** @default `<project>-<namePrefix>-audit` */
  readonly auditBucketName?: string;
  /** Retention of sealed audit segments, recordings and gateway logs. @default 2192 (six years) */
  readonly retentionDays?: number;
  /**
   * Lock the bucket's retention policy and the log bucket. Irreversible: nobody can shorten the
   * retention or delete the bucket until every object has aged out. Turn on for production.
   * @default false
   */
  readonly lockRetention?: boolean;
  /** @default 90 (the maximum the compliance rule accepts) */
  readonly keyRotationDays?: number;
  /** @default - postgres 5432, ssh 2222, http 8443, admin 8444 */
  readonly ports?: GatewayPorts;
}
