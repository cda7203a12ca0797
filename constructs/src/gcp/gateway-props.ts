import type { GatewayPolicyProps, GatewayPorts } from '../core';
import type { GcpPeer } from './peers';
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
   * Where clients (agents, people's machines, CI) connect from (more with `allowClientsFrom`).
   * @default - none: no client reaches the gateway until one is allowed
   */
  readonly allowFrom?: readonly GcpPeer[];
  /**
   * Gateway image URI. Build it from the context in this package and push it with
   * `buildAndPushCommand`.
   * @default `<region>-docker.pkg.dev/<project>/<namePrefix>/warden-gateway:latest`
   */
  readonly image?: string;
  /**
   * Prefix of every resource name; lower case, at most 20 characters.
   * @default 'warden'
   */
  readonly namePrefix?: string;
  /**
   * Machine type of the gateway VMs.
   * @default 'e2-standard-2'
   */
  readonly machineType?: string;
  /**
   * Gateway VMs, spread over the region's zones.
   * @default 2
   */
  readonly instances?: number;
  /**
   * Boot image.
   * @default 'projects/cos-cloud/global/images/family/cos-stable'
   */
  readonly sourceImage?: string;
  /**
   * Boot disk size; holds audit segments and recordings until they are uploaded.
   * @default 20
   */
  readonly diskSizeGb?: number;
  /**
   * Name of the audit bucket.
   * @default `<project>-<namePrefix>-audit`
   */
  readonly auditBucketName?: string;
  /**
   * Retention of sealed audit segments and recordings in the bucket, in days.
   * @default 2192 (six years)
   */
  readonly auditRetentionDays?: number;
  /**
   * Retention of the gateway's logs in its Cloud Logging bucket, in days.
   * @default - `auditRetentionDays`
   */
  readonly logRetentionDays?: number;
  /**
   * Lock the bucket's retention policy and the log bucket. Irreversible: nobody can shorten the
   * retention or delete the bucket until every object has aged out. Turn on for production.
   * @default false
   */
  readonly lockRetention?: boolean;
  /**
   * Rotation period of the gateway's KMS keys, in days.
   * @default 90 (the maximum the compliance rule accepts)
   */
  readonly keyRotationDays?: number;
  /**
   * Ports the gateway listens on; the load balancer passes them through.
   * @default - postgres 5432, ssh 2222, http 8443, kubernetes 6443, admin 8444
   */
  readonly ports?: GatewayPorts;
  /**
   * Where the operating alert policies (audit append failures, readiness, hold age, denied spikes,
   * gateway and worker restarts) notify: ids of notification channels
   * (`google_monitoring_notification_channel.x.id`).
   * @default - a Pub/Sub topic and its notification channel; subscribe to `monitoring.alertTopic`
   */
  readonly alertNotificationChannels?: readonly string[];
  /**
   * Alert when a held command has waited this long for an approver, in seconds.
   * @default 300
   */
  readonly holdAgeAlarmSeconds?: number;
  /**
   * Alert when more statements, commands and requests than this are denied in five minutes.
   * @default 100
   */
  readonly deniedStatementsAlarmThreshold?: number;
  /**
   * The collector image that scrapes the gateway's metrics on each VM into Managed Service for
   * Prometheus (the Google-Built OpenTelemetry Collector); pin a digest here.
   * @default - us-docker.pkg.dev/cloud-ops-agents-artifacts/google-cloud-opentelemetry-collector/otelcol-google:0.121.0
   */
  readonly metricsCollectorImage?: string;
}
