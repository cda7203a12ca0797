/**
 * The sandbox cluster's objects: a `clinical` namespace holding PHI (an EHR export pod whose
 * container has /data/patients.csv, env and logs with synthetic identifiers; a ConfigMap naming an
 * on-call contact; a database Secret) and a `tools` namespace without PHI. Objects are plain JSON
 * as the API server serves them; every change bumps one resource version, as etcd's revision does.
 */
import { generateHospital, type PatientRow } from '../hospital';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
};

/** A container's files, environment and log, as the fake runtime serves them to exec and logs. */
export interface FakeContainer {
  readonly files: ReadonlyMap<string, string>;
  readonly env: Readonly<Record<string, string>>;
  readonly log: string;
}

export interface SandboxClusterData {
  readonly objects: KubeObject[];
  /** By "namespace/pod". */
  readonly containers: ReadonlyMap<string, FakeContainer>;
  /** The Secret value the gateway must never let out (tests look for it). */
  readonly secretValue: string;
  readonly patients: readonly PatientRow[];
}

const CSV_HEADER = [
  'mrn',
  'first_name',
  'last_name',
  'date_of_birth',
  'ssn',
  'phone',
  'email',
  'city',
  'zip',
];

export function sandboxClusterData(opts: { patients?: number; seed?: number } = {}): SandboxClusterData {
  const { patients } = generateHospital({ patients: opts.patients ?? 50, seed: opts.seed ?? 1 });
  const created = '2026-01-05T09:00:00Z';
  let uid = 0;
  const meta = (name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({
    name,
    ...(namespace ? { namespace } : {}),
    uid: `00000000-0000-4000-8000-${String(++uid).padStart(12, '0')}`,
    resourceVersion: '1',
    creationTimestamp: created,
    ...extra,
  });
  const first = patients[0]!;
  const csv = [
    CSV_HEADER.join(','),
    ...patients.map((p) =>
      [p.mrn, p.firstName, p.lastName, p.dateOfBirth, p.ssn, p.phone, p.email, p.city, p.zip].join(','),
    ),
  ];
  const log = patients
    .slice(0, 10)
    .map(
      (p, i) =>
        `2026-01-05T09:0${i}:00Z exported ${p.mrn} ${p.firstName} ${p.lastName} SSN ${p.ssn} phone ${p.phone}`,
    )
    .join('\n');
  const secretValue = 'sandbox-db-password-7f3a9c';
  const pod = (name: string, namespace: string, container: string, env: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(name, namespace, { labels: { app: name.replace(/-\d+$/, '') } }),
    spec: {
      nodeName: 'sandbox-node-1',
      containers: [
        {
          name: container,
          image: 'registry.example/ehr-export:1.4',
          env: [
            ...Object.entries(env).map(([n, value]) => ({ name: n, value })),
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'ehr-db', key: 'password' } } },
          ],
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: '10.244.0.12',
      startTime: created,
      containerStatuses: [
        { name: container, ready: true, restartCount: 0, state: { running: { startedAt: created } } },
      ],
    },
  });
  const exportEnv = { EXPORT_OWNER: `${first.firstName} ${first.lastName}`, ONCALL_PHONE: first.phone };
  const objects: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: meta('clinical', undefined, { labels: { 'warden.dev/phi': 'true' } }),
      status: { phase: 'Active' },
    },
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta('tools'), status: { phase: 'Active' } },
    pod('ehr-export-0', 'clinical', 'exporter', exportEnv),
    pod('toolbox-0', 'tools', 'toolbox', { MODE: 'maintenance' }),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('ehr-settings', 'clinical'),
      data: {
        'oncall.txt': `on-call: ${first.firstName} ${first.lastName}, ${first.phone}`,
        batchSize: '500',
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: meta('ehr-db', 'clinical', {
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
            stringData: { password: secretValue },
          }),
        },
      }),
      data: {
        password: Buffer.from(secretValue).toString('base64'),
        user: Buffer.from('ehr').toString('base64'),
      },
    },
  ] as KubeObject[];
  const containers = new Map<string, FakeContainer>([
    [
      'clinical/ehr-export-0',
      {
        files: new Map([['/data/patients.csv', `${csv.join('\n')}\n`]]),
        env: { ...exportEnv, DB_PASSWORD: secretValue },
        log: `${log}\n`,
      },
    ],
    [
      'tools/toolbox-0',
      {
        files: new Map([['/etc/motd', 'toolbox: no patient data here\n']]),
        env: { MODE: 'maintenance' },
        log: 'toolbox started\n',
      },
    ],
  ]);
  return { objects, containers, secretValue, patients };
}
