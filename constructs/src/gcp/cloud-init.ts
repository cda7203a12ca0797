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
}

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
  return [
    '#cloud-config',
    'write_files:',
    '  - path: /etc/systemd/system/warden.service',
    "    permissions: '0644'",
    '    owner: root',
    '    content: |',
    ...unit.map((l) => (l ? `      ${l}` : '')),
    'runcmd:',
    '  - systemctl daemon-reload',
    '  - systemctl start warden.service',
    '',
  ].join('\n');
}
