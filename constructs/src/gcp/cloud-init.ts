/**
 * The cloud-init user-data that runs the gateway container on Container-Optimized OS. COS runs
 * cloud-init on every boot and keeps /etc in memory, so the unit fetches the rendered config from
 * the instance metadata each time it starts: a new config is a new instance template, never an
 * edit on a running VM.
 */
import { CONFIG_METADATA_KEY } from '../compliance/gcp/gateway-config';

// The metadata key holding the rendered config (JSON) is owned by the rules that read it back.
export { CONFIG_METADATA_KEY };
/** Where the config is written on the VM and mounted into the container. */
export const CONFIG_PATH = '/etc/warden/config.json';
/** State directory on the VM's (CMEK) boot disk: audit segments, recordings, approval store. */
export const STATE_DIR = '/var/lib/warden';

export interface CloudInitProps {
  /** Image URI, e.g. europe-west3-docker.pkg.dev/p/warden/warden-gateway:1.0.0. */
  readonly image: string;
  /** Registry host the image is pulled from (europe-west3-docker.pkg.dev). */
  readonly registryHost: string;
  /** The metrics collector beside the gateway (operations.ts): its image and configuration. */
  readonly collector?: { readonly image: string; readonly config: string };
}

/** Where the collector's configuration is written on the VM and mounted into its container. */
export const COLLECTOR_DIR = '/etc/warden-metrics';

export function gatewayCloudInit(props: CloudInitProps): string {
  const metadataUrl = `http://metadata.google.internal/computeMetadata/v1/instance/attributes/${CONFIG_METADATA_KEY}`;
  const unit = [
    '[Unit]',
    'Description=Warden gateway',
    'Wants=network-online.target',
    'After=network-online.target docker.service',
    '',
    '[Service]',
    // The root home is read-only on COS; docker-credential-gcr needs a writable one.
    `Environment=HOME=${STATE_DIR}/home`,
    `ExecStartPre=/bin/mkdir -p /etc/warden ${STATE_DIR}/home ${STATE_DIR}/audit ${STATE_DIR}/recordings`,
    `ExecStartPre=/bin/bash -c 'curl -sSf -H "Metadata-Flavor: Google" ${metadataUrl} > ${CONFIG_PATH}'`,
    `ExecStartPre=/usr/bin/docker-credential-gcr configure-docker --registries ${props.registryHost}`,
    `ExecStartPre=-/usr/bin/docker rm -f warden`,
    // Host networking: the passthrough load balancer delivers client connections to the VM's ports.
    `ExecStart=/usr/bin/docker run --rm --name warden --network host --read-only --tmpfs /tmp -e WARDEN_LOG_FORMAT=cloud-logging -v /etc/warden:/etc/warden:ro -v ${STATE_DIR}:${STATE_DIR} ${props.image} gateway --config ${CONFIG_PATH}`,
    'ExecStop=/usr/bin/docker stop warden',
    'Restart=always',
    'RestartSec=5',
  ];
  const file = (path: string, lines: readonly string[]) => [
    `  - path: ${path}`,
    "    permissions: '0644'",
    '    owner: root',
    '    content: |',
    ...lines.map((l) => (l ? `      ${l}` : '')),
  ];
  const c = props.collector;
  return [
    '#cloud-config',
    'write_files:',
    ...file('/etc/systemd/system/warden.service', unit),
    ...(c
      ? [
          ...file('/etc/systemd/system/warden-metrics.service', collectorUnit(c.image)),
          ...file(`${COLLECTOR_DIR}/collector.yaml`, c.config.trimEnd().split('\n')),
        ]
      : []),
    'runcmd:',
    '  - systemctl daemon-reload',
    '  - systemctl start warden.service',
    ...(c ? ['  - systemctl start warden-metrics.service'] : []),
    '',
  ].join('\n');
}

/** The collector unit: its failure never touches the gateway's (separate unit and container). */
function collectorUnit(image: string): string[] {
  return [
    '[Unit]',
    'Description=Warden metrics collector',
    'Wants=network-online.target',
    'After=network-online.target docker.service warden.service',
    '',
    '[Service]',
    `Environment=HOME=${STATE_DIR}/home`,
    `ExecStartPre=/usr/bin/docker-credential-gcr configure-docker --registries ${image.split('/')[0]}`,
    'ExecStartPre=-/usr/bin/docker rm -f warden-metrics',
    `ExecStart=/usr/bin/docker run --rm --name warden-metrics --network host --read-only -v ${COLLECTOR_DIR}:${COLLECTOR_DIR}:ro ${image} --config=${COLLECTOR_DIR}/collector.yaml`,
    'ExecStop=/usr/bin/docker stop warden-metrics',
    'Restart=always',
    'RestartSec=10',
  ];
}
