import { ComputeHealthCheck } from '@cdktf/provider-google/lib/compute-health-check';
import { ComputeInstanceTemplate } from '@cdktf/provider-google/lib/compute-instance-template';
import { ComputeRegionInstanceGroupManager } from '@cdktf/provider-google/lib/compute-region-instance-group-manager';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { CONFIG_METADATA_KEY, gatewayCloudInit } from './cloud-init';

export interface GatewayComputeProps {
  readonly project: string;
  readonly region: string;
  readonly namePrefix: string;
  readonly machineType: string;
  readonly instances: number;
  readonly image: string;
  readonly registryHost: string;
  readonly sourceImage: string;
  readonly diskSizeGb: number;
  readonly diskKeyId: string;
  readonly subnetworkId: string;
  readonly serviceAccountEmail: string;
  readonly tag: string;
  /** Rendered config, JSON, with Terraform references inside. */
  readonly configJson: string;
  /** The admin port: autohealing probes /healthz on it. */
  readonly healthPort: number;
  /** The metrics collector container beside the gateway. */
  readonly collector: { readonly image: string; readonly config: string };
  readonly dependsOn: ITerraformDependable[];
}

/** Instance template on Container-Optimized OS and the regional group that keeps it running. */
export class GatewayCompute extends Construct {
  readonly template: ComputeInstanceTemplate;
  readonly group: ComputeRegionInstanceGroupManager;
  readonly autohealCheck: ComputeHealthCheck;
  readonly baseInstanceName: string;
  /** The group's name, known at synth (alert queries name it). */
  readonly groupName: string;

  constructor(scope: Construct, id: string, props: GatewayComputeProps) {
    super(scope, id);
    this.baseInstanceName = `${props.namePrefix}-gw`;
    this.groupName = `${props.namePrefix}-gw`;
    this.template = new ComputeInstanceTemplate(this, 'template', {
      project: props.project,
      namePrefix: `${props.namePrefix}-gw-`,
      machineType: props.machineType,
      tags: [props.tag],
      disk: [
        {
          sourceImage: props.sourceImage,
          boot: true,
          autoDelete: true,
          diskSizeGb: props.diskSizeGb,
          diskType: 'pd-balanced',
          diskEncryptionKey: { kmsKeySelfLink: props.diskKeyId },
        },
      ],
      // No access_config: the VMs have no external IP; they reach Google APIs via Private Google Access.
      networkInterface: [{ subnetwork: props.subnetworkId }],
      serviceAccount: { email: props.serviceAccountEmail, scopes: ['cloud-platform'] },
      shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
      metadata: {
        'enable-oslogin': 'TRUE',
        'block-project-ssh-keys': 'TRUE',
        'serial-port-enable': 'FALSE',
        'google-logging-enabled': 'true',
        'google-logging-use-fluentbit': 'true',
        'google-monitoring-enabled': 'true',
        'user-data': gatewayCloudInit({
          image: props.image,
          registryHost: props.registryHost,
          collector: props.collector,
        }),
        [CONFIG_METADATA_KEY]: props.configJson,
      },
      labels: { 'warden-role': 'gateway' },
      // A new config is a new template; the group replaces instances before the old one goes.
      lifecycle: { createBeforeDestroy: true },
      dependsOn: props.dependsOn,
    });
    this.autohealCheck = new ComputeHealthCheck(this, 'autoheal', {
      project: props.project,
      name: `${props.namePrefix}-gw-autoheal`,
      checkIntervalSec: 10,
      timeoutSec: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      // Liveness: a VM whose gateway does not answer is recreated. A gateway that answers but is
      // not ready is only taken out of the load balancer (/readyz there), not recreated.
      httpsHealthCheck: { port: props.healthPort, requestPath: '/healthz' },
    });
    this.group = new ComputeRegionInstanceGroupManager(this, 'group', {
      project: props.project,
      region: props.region,
      name: this.groupName,
      baseInstanceName: this.baseInstanceName,
      targetSize: props.instances,
      version: [{ instanceTemplate: this.template.selfLinkUnique, name: 'gateway' }],
      // Long enough for cloud-init to pull the image and the gateway to resolve its secrets.
      autoHealingPolicies: { healthCheck: this.autohealCheck.id, initialDelaySec: 300 },
      updatePolicy: {
        type: 'PROACTIVE',
        minimalAction: 'REPLACE',
        maxSurgeFixed: 3,
        maxUnavailableFixed: 0,
        instanceRedistributionType: 'PROACTIVE',
      },
      waitForInstances: false,
    });
  }
}
