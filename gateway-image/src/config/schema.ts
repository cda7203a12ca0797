import { z } from 'zod';
import { isLoopbackHost } from '../identity/loopback';
import { connection } from './connections';
import { observability } from './observability';
import { access, approvals, masking, policy } from './policy';
import { secretRef } from './secret-ref';

const host = z.string().min(1);
const port = z.number().int().min(0).max(65535);

/** How long a client may take before it is cut off: slow clients must not hold sockets forever. */
const timeoutMs = (what: string, fallback = 30_000) =>
  z
    .number()
    .int()
    .min(1000)
    .max(600_000)
    .default(fallback)
    .describe(`${what} Default ${fallback} (${fallback / 1000} s).`);

const tls = z
  .strictObject({
    certificate: secretRef.describe('Certificate chain (PEM).'),
    key: secretRef.describe('Private key (PEM).'),
  })
  .describe("The gateway's own TLS certificate and key.");

export const listeners = z
  .strictObject({
    postgres: z
      .strictObject({
        host: host.default('0.0.0.0').describe('Default 0.0.0.0.'),
        port: port.default(5432).describe('Default 5432.'),
        tls,
        allowPlaintextPassword: z
          .boolean()
          .default(false)
          .describe(
            'Accept a token over an unencrypted connection. Default false; never enable outside a loopback sandbox.',
          ),
        startupTimeoutMs: timeoutMs(
          'A client must finish encryption, startup and login within this time, or it is disconnected.',
        ),
        maxStatementBytes: z
          .number()
          .int()
          .min(1024)
          .max(0x3fffffff)
          .default(16 * 1024 * 1024)
          .describe(
            'Largest statement (a Query or Parse message) the gateway inspects; a longer one ends the session with 54000 before it is buffered. Default 16 MiB (COPY data is not a statement).',
          ),
      })
      .optional(),
    ssh: z
      .strictObject({
        host: host.default('0.0.0.0'),
        port: port.default(2222).describe('Default 2222.'),
        hostKey: secretRef.describe("The gateway's SSH host private key."),
        authTimeoutMs: timeoutMs(
          'A client must finish the SSH handshake and log in within this time, or it is disconnected.',
        ),
      })
      .optional(),
    http: z
      .strictObject({
        host: host.default('0.0.0.0'),
        port: port.default(8443).describe('Default 8443.'),
        tls,
        headersTimeoutMs: timeoutMs('A client must send its request headers within this time.'),
        requestTimeoutMs: timeoutMs(
          'A client must send its whole request (headers and body) within this time; answering may take longer (a held request waits for its approver).',
          60_000,
        ),
      })
      .optional(),
    kubernetes: z
      .strictObject({
        host: host.default('0.0.0.0'),
        port: port.default(6443).describe('Default 6443.'),
        tls,
        headersTimeoutMs: timeoutMs('A client must send its request headers within this time.'),
        requestTimeoutMs: timeoutMs(
          'A client must send its whole request (headers and body) within this time; watches, logs and exec streams run longer once their request is in.',
          60_000,
        ),
      })
      .optional()
      .describe('HTTPS in front of the kubernetes connections (kubectl, client libraries).'),
    admin: z
      .strictObject({
        host: host
          .default('127.0.0.1')
          .describe('Default 127.0.0.1 (not exposed); set 0.0.0.0 together with tls to serve reviewers.'),
        port: port.default(8444).describe('Default 8444.'),
        tls: tls.optional().describe('Required unless host is a loopback address.'),
        publicUrl: z
          .url()
          .optional()
          .describe('URL people use to reach the console, for links in notifications.'),
      })
      .prefault({}),
  })
  .describe('Where the gateway listens. Port 0 picks a free port (tests, sandbox).');

export const oidcIssuer = z.strictObject({
  issuer: z.url().describe('Issuer URL; discovery reads <issuer>/.well-known/openid-configuration.'),
  audiences: z.array(z.string().min(1)).min(1).describe('Accepted `aud` values.'),
  groupsClaim: z
    .string()
    .default('groups')
    .describe('Claim holding the principal\'s groups. Default "groups".'),
  kind: z
    .strictObject({
      claim: z.string().optional().describe('Claim that names the kind, e.g. "warden_kind".'),
      agentValues: z
        .array(z.string())
        .default(['agent'])
        .describe('Values of that claim meaning agent. Default ["agent"].'),
      agentWhenSubjectIsClient: z
        .boolean()
        .default(true)
        .describe(
          'A token whose subject is the client itself (client-credentials grant) is an agent. Default true.',
        ),
      default: z
        .enum(['human', 'agent'])
        .default('human')
        .describe('Kind when nothing else decides. Default human.'),
    })
    .prefault({})
    .describe('How a principal is classed human or agent.'),
  clockSkewSec: z
    .number()
    .int()
    .min(0)
    .max(300)
    .default(30)
    .describe('Tolerated clock skew. Default 30 s, at most 300.'),
});

export const loginThrottle = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Default true. Turn off only where every client reaches the gateway from one address (a proxy that hides client addresses).',
      ),
    maxFailures: z
      .number()
      .int()
      .min(1)
      .default(20)
      .describe('Failed logins one source may make within windowSec. Default 20.'),
    windowSec: z.number().int().min(1).max(3600).default(60).describe('Default 60.'),
    blockSec: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(60)
      .describe(
        'How long a source over the limit is refused without its credential being checked. Default 60.',
      ),
  })
  .describe(
    'Per-source limit on failed logins (Postgres, SSH, HTTP and the session-token exchange); a source is an IPv4 address or an IPv6 /64.',
  );

export const identity = z.strictObject({
  issuers: z.array(oidcIssuer).min(1),
  loginThrottle: loginThrottle.prefault({}),
  sessionTokens: z
    .strictObject({
      lifetimeSec: z
        .number()
        .int()
        .min(60)
        .max(3600)
        .default(900)
        .describe('Default 900 (15 min), at most 3600.'),
      signingKey: secretRef.describe('Ed25519 private key (PEM) that signs Warden session tokens.'),
      adminGroups: z.array(z.string()).default([]).describe('Groups allowed to revoke session tokens.'),
      revocationFile: z
        .string()
        .optional()
        .describe('Where revocations persist. Default: <audit.dir>/revocations.json.'),
    })
    .optional(),
});

const sink = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('stdout') }),
  z.strictObject({
    kind: z.literal('s3'),
    bucket: z.string().min(3),
    prefix: z.string().default(''),
    region: z.string().optional(),
    retentionDays: z
      .number()
      .int()
      .min(1)
      .default(2192)
      .describe('Object Lock retention. Default 2192 days (6 years).'),
  }),
  z.strictObject({ kind: z.literal('gcs'), bucket: z.string().min(3), prefix: z.string().default('') }),
]);

export const audit = z.strictObject({
  dir: z
    .string()
    .min(1)
    .describe('Directory for audit segments (relative paths are relative to the config file).'),
  signingKey: secretRef.describe('Ed25519 private key (PEM) that signs checkpoints.'),
  checkpointEvery: z
    .number()
    .int()
    .min(1)
    .default(1000)
    .describe('Events between signed checkpoints. Default 1000.'),
  checkpointIntervalMs: z
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('Longest time between checkpoints. Default 10 s.'),
  segmentMaxBytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024)
    .describe('Rotate segments at this size. Default 64 MiB.'),
  sinks: z.array(sink).default([]).describe('Where sealed segments are copied (write-once storage).'),
  evidence: z
    .strictObject({
      daily: z
        .boolean()
        .default(false)
        .describe(
          'Shortly after each UTC midnight, export an evidence pack of the previous day from this log (warden evidence export), signed with audit.signingKey, into <dir>/evidence/<day>/, and copy it to every s3/gcs sink under evidence/<host>/<day>/. Default false.',
        ),
    })
    .prefault({})
    .describe('Evidence packs the gateway exports of its own audit log.'),
});

export const recording = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Default true.'),
    dir: z.string().min(1).describe('Directory for session recordings.'),
    maxResultRows: z
      .number()
      .int()
      .min(0)
      .default(100)
      .describe('Result rows kept per statement. Default 100.'),
    sinks: z
      .array(sink)
      .default([])
      .describe(
        'Where finished recordings are copied (write-once storage), as recordings/<host>/<file>. Default: the audit.sinks.',
      ),
  })
  .optional();

const configObject = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).describe('Config format version. Always 1.'),
  workers: z
    .union([z.number().int().min(1).max(256), z.literal('auto')])
    .default('auto')
    .describe('Gateway processes; "auto" is one per core. Default auto.'),
  listeners: listeners.prefault({}),
  identity,
  connections: z.array(connection).default([]),
  access: access.prefault({}),
  policy: policy.prefault({}),
  masking: masking.prefault({}),
  approvals: approvals.prefault({}),
  audit,
  recording,
  observability: observability.prefault({}),
});

export const wardenConfig = configObject.superRefine(checkReferences);

export type WardenConfig = z.output<typeof configObject>;
/** What an author writes: defaults may be omitted. */
export type WardenConfigInput = z.input<typeof wardenConfig>;

type Ctx = z.RefinementCtx;

/** Cross-references the schema alone cannot express; every problem is reported, with its path. */
function checkReferences(c: WardenConfig, ctx: Ctx): void {
  const connNames = new Set<string>();
  for (const [i, conn] of c.connections.entries()) {
    if (connNames.has(conn.name))
      issue(ctx, ['connections', i, 'name'], `duplicate connection name "${conn.name}"`);
    connNames.add(conn.name);
    if (conn.kind === 'postgres')
      duplicateRoles(conn, (path, message) => issue(ctx, ['connections', i, ...path], message));
  }
  const unknownConnections = (list: readonly string[] | undefined, path: (string | number)[]) => {
    for (const [j, n] of (list ?? []).entries()) {
      if (n !== '*' && !connNames.has(n)) issue(ctx, [...path, j], `unknown connection "${n}"`);
    }
  };
  for (const [i, g] of c.access.grants.entries())
    unknownConnections(g.connections, ['access', 'grants', i, 'connections']);
  const ruleNames = new Set<string>();
  for (const [i, r] of c.policy.rules.entries()) {
    if (ruleNames.has(r.name)) issue(ctx, ['policy', 'rules', i, 'name'], `duplicate rule name "${r.name}"`);
    ruleNames.add(r.name);
    unknownConnections(r.connections, ['policy', 'rules', i, 'connections']);
  }
  for (const [i, a] of c.approvals.rules.entries()) {
    for (const [j, n] of a.policyRules.entries()) {
      if (n !== '*' && !ruleNames.has(n))
        issue(ctx, ['approvals', 'rules', i, 'policyRules', j], `unknown policy rule "${n}"`);
    }
  }
  const ports = new Map<number, string>();
  for (const [kind, l] of Object.entries(c.listeners)) {
    if (!l || l.port === 0) continue;
    const other = ports.get(l.port);
    if (other)
      issue(ctx, ['listeners', kind, 'port'], `port ${l.port} is already used by the ${other} listener`);
    ports.set(l.port, kind);
  }
  const admin = c.listeners.admin;
  if (!admin.tls && !isLoopbackHost(admin.host)) {
    issue(
      ctx,
      ['listeners', 'admin', 'tls'],
      'TLS is required when the admin listener is not on a loopback address',
    );
  }
  const pg = c.listeners.postgres;
  if (pg?.allowPlaintextPassword && !isLoopbackHost(pg.host)) {
    issue(
      ctx,
      ['listeners', 'postgres', 'allowPlaintextPassword'],
      'plaintext passwords are only allowed on a loopback listener',
    );
  }
}

function issue(ctx: Ctx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

/** A user name picks one brokered role: each may be declared once, and not again as upstream.user. */
function duplicateRoles(
  conn: {
    readonly upstream: { readonly user: string };
    readonly roles?: readonly { readonly user: string }[];
  },
  report: (path: (string | number)[], message: string) => void,
): void {
  const users = new Set([conn.upstream.user]);
  for (const [j, role] of (conn.roles ?? []).entries()) {
    if (users.has(role.user)) report(['roles', j, 'user'], `role "${role.user}" is brokered twice`);
    users.add(role.user);
  }
}
