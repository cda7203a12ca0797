import { z } from 'zod';
import { phiEntity } from './connections';
import { principalSelector } from './principals';
import { secretRef } from './secret-ref';

export { principalSelector };

const name = z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'expected a lower-case rule name');
const names = z.array(z.string().min(1));

const sqlKinds = z.array(
  z.enum([
    'select',
    'insert',
    'update',
    'delete',
    'merge',
    'copy',
    'ddl',
    'transaction',
    'set',
    'show',
    'explain',
    'prepare',
    'execute',
    'deallocate',
    'cursor',
    'listen',
    'notify',
    'call',
    'do',
    'grant',
    'utility',
    'other',
  ]),
);

export const sqlMatch = z
  .strictObject({
    kinds: sqlKinds.optional().describe('Statement kinds.'),
    write: z
      .boolean()
      .optional()
      .describe(
        "True: matches every statement that may change data, schema, privileges or what other sessions see — the gateway's one definition of a write: INSERT, UPDATE, DELETE, TRUNCATE, MERGE, DDL, GRANT/REVOKE, any statement that writes a relation (COPY … FROM, a data-modifying WITH, PREPARE … AS INSERT, EXPLAIN ANALYZE of a write), opaque statements (DO, CALL, EXECUTE) and calls to functions outside the vetted list. Hold or deny writes with this rather than with kinds: kinds miss writes hidden under other kinds.",
      ),
    functions: names.optional().describe('Function names; a trailing * matches a prefix (dblink*).'),
    reads: names.optional().describe('Relations read (schema.table; * wildcards).'),
    writes: names.optional().describe('Relations written (schema.table; * wildcards).'),
    writesClassified: z
      .boolean()
      .optional()
      .describe('True: matches writes to tables holding classified PHI columns.'),
    opaque: z.boolean().optional().describe('True: matches DO, CALL and dynamic EXECUTE.'),
    withoutWhere: z.boolean().optional().describe('True: matches UPDATE/DELETE without WHERE.'),
    copy: z
      .strictObject({
        direction: z.enum(['from', 'to']).optional(),
        target: z.array(z.enum(['stdin', 'stdout', 'file', 'program'])).optional(),
      })
      .optional(),
    phiPredicates: z
      .boolean()
      .optional()
      .describe('True: matches PHI columns used in WHERE, JOIN, GROUP BY, ORDER BY, HAVING or windows.'),
    copiesPhi: z
      .boolean()
      .optional()
      .describe(
        'True: matches statements that copy PHI anywhere but the result: into tables, views or COPY output (CREATE TABLE AS, INSERT … SELECT, …), or into server state others can read (set_config, pg_notify, large objects, sequences, advisory lock keys, …).',
      ),
    settings: names
      .optional()
      .describe(
        'Run-time settings changed, by SET/RESET, set_config(…), ALTER ROLE/DATABASE/SYSTEM … SET or a startup parameter (* wildcards). A setting name the statement computes matches every pattern.',
      ),
    nodes: names
      .optional()
      .describe('PostgreSQL parser node tags of the statement, e.g. LoadStmt, CheckPointStmt, VacuumStmt.'),
    unvettedFunctions: z
      .boolean()
      .optional()
      .describe(
        "True: matches statements calling a function outside the vetted list: PostgreSQL's built-in functions without side effects, a few vetted volatile ones (clock, random, sleep, currval), and policy.vettedFunctions.",
      ),
  })
  .describe('SQL facts to match; every field given must match at least one statement.');

export const sshMatch = z.strictObject({
  modes: z.array(z.enum(['exec', 'shell', 'subsystem'])).optional(),
  programs: names
    .optional()
    .describe(
      'Program names (* wildcards). A command line is decided program by program and the most restrictive decision wins, so allowing ls never allows ls; rm.',
    ),
  features: z
    .array(
      z.enum([
        'pipe',
        'sequence',
        'substitution',
        'redirection',
        'background',
        'expansion',
        'shell',
        'transfer',
        'encoder',
        'destructive',
        'unvetted',
        'unmaskable',
        'search',
      ]),
    )
    .optional()
    .describe(
      "Matches a program with any of these features (its own, or the line's shape: pipe, sequence, substitution, redirection, background). " +
        'expansion: program name computed at run time; shell: runs code the line does not show (stdin shells, interpreters, eval, xargs, find -exec); ' +
        'transfer: scp/rsync server modes, sftp-server, network clients; encoder: output masking cannot follow (base64, tr, sed, awk, hashes, head -c, grep -o, …); ' +
        'destructive: deletes or truncates files; unvetted: outside the read-only inspection allowlist; unmaskable: reads a classified file in a way that cannot be masked; ' +
        'search: picks the lines of a classified file by their content (grep), which tells what the masked values are.',
    ),
  subsystems: names.optional().describe('sftp, …'),
});

export const httpMatch = z.strictObject({
  methods: z.array(z.string().toUpperCase()).optional(),
  paths: names.optional().describe('Path patterns: * matches one segment, ** any number.'),
  minBodyBytes: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Matches requests whose body is at least this size.'),
});

/** Kubernetes API verbs as RBAC names them; exec, attach and port-forward are `create` on their subresource. */
export const KUBERNETES_VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
] as const;

export const kubernetesMatch = z
  .strictObject({
    verbs: z
      .array(z.enum(KUBERNETES_VERBS))
      .optional()
      .describe(
        'Verbs as RBAC names them: get, list, watch, create, update, patch, delete, deletecollection. kubectl exec is create on pods/exec, whatever HTTP method carried it. Discovery requests (/api, /apis, /version, /openapi) are get.',
      ),
    apiGroups: names.optional().describe('API groups ("" is the core group; * wildcards).'),
    resources: names
      .optional()
      .describe('Resources, plural and lower-case as in the URL: pods, secrets, deployments (* wildcards).'),
    subresources: names
      .optional()
      .describe(
        'Subresources: exec, log, scale, status, eviction, ephemeralcontainers, token, … (* wildcards).',
      ),
    namespaces: names
      .optional()
      .describe(
        'Namespaces (* wildcards). A request across every namespace (kubectl get -A) matches every pattern.',
      ),
    names: names.optional().describe('Object names (* wildcards); a request without a name matches none.'),
    phiNamespace: z
      .boolean()
      .optional()
      .describe(
        'True: matches requests in a namespace the connection lists in phiNamespaces (a request across namespaces, and a namespace object itself by its name, included). False: only the others.',
      ),
    discovery: z
      .boolean()
      .optional()
      .describe(
        'True: matches discovery requests only (/api, /apis, /version, /openapi); false: only the others.',
      ),
  })
  .describe(
    'Kubernetes request facts to match; every field given must match. An exec request is also decided by its command, as an SSH exec of the same command line (ssh rules apply to it).',
  );

export const policyRule = z.strictObject({
  name,
  description: z.string().optional(),
  decision: z.enum(['allow', 'deny', 'require-approval']),
  reason: z
    .string()
    .optional()
    .describe('Shown to the client when the rule denies or holds. Default: the description or name.'),
  principals: principalSelector.default({}),
  connections: names.optional().describe('Connection names (default: all).'),
  phi: z
    .boolean()
    .optional()
    .describe(
      'true: the rule applies only on connections marked phi; false: only on connections that are not. Default: both.',
    ),
  sql: sqlMatch.optional(),
  ssh: sshMatch.optional(),
  http: httpMatch.optional(),
  kubernetes: kubernetesMatch.optional(),
});
export type PolicyRuleConfig = z.infer<typeof policyRule>;

export const policy = z
  .strictObject({
    default: z
      .enum(['allow', 'deny'])
      .default('deny')
      .describe('Decision when no rule matches. Default deny.'),
    rules: z.array(policyRule).default([]),
    vettedFunctions: names
      .default([])
      .describe(
        'Functions added to the vetted list that sql.unvettedFunctions tests against (schema-qualified or bare names; * wildcards). Default none.',
      ),
  })
  .describe(
    'Every matching rule is considered and the most restrictive decision wins: deny, then require-approval, then allow. ' +
      'A command with several statements takes the most restrictive decision of its statements.',
  );

export const accessGrant = z.strictObject({
  name,
  connections: names.min(1).describe('Connection names, or ["*"] for all.'),
  principals: principalSelector,
  description: z.string().optional(),
});

export const access = z
  .strictObject({
    grants: z
      .array(accessGrant)
      .default([])
      .describe('Standing grants: who may open a session on which connection.'),
    justInTime: z
      .strictObject({
        approverGroups: names.min(1),
        maxDurationMs: z
          .number()
          .int()
          .positive()
          .default(4 * 3600_000)
          .describe('Longest grant. Default 4 h.'),
      })
      .optional(),
  })
  .describe('Without a grant a principal cannot use a connection at all.');

export const maskingStrategy = z
  .enum(['redact', 'partial', 'token', 'null', 'year', 'raw'])
  .describe(
    'redact ([SSN]), partial (last four), token (keyed HMAC), null, year (dates), raw (no masking; audited).',
  );

export const maskingProfile = z.strictObject({
  name,
  principals: principalSelector,
  default: maskingStrategy.describe('Strategy for entities not listed.'),
  entities: z.record(z.string(), maskingStrategy).default({}),
});

export const masking = z
  .strictObject({
    profiles: z
      .array(maskingProfile)
      .default([])
      .describe('First profile whose principals match applies. No match: every PHI value is redacted.'),
    tokenKey: secretRef.optional().describe('HMAC key for the token strategy (at least 16 bytes).'),
    previousTokenKeys: z
      .array(secretRef)
      .default([])
      .describe(
        'Earlier token keys, newest first. New tokens use tokenKey; tokens made with these still verify, so a key can be rotated without breaking joins against stored tokens. Default none.',
      ),
    detectors: z
      .strictObject({
        enabled: z.boolean().default(true),
        mrnPatterns: z
          .array(z.string())
          .default(['\\bMRN\\d{8}\\b'])
          .describe('Regular expressions for MRNs.'),
      })
      .prefault({}),
    entities: z.array(phiEntity).optional().describe('Custom entities in use (documentation).'),
  })
  .describe('How PHI is masked in responses.');

export const approvals = z.strictObject({
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(24 * 3600_000)
    .default(600_000)
    .describe('How long a held command waits. Default 10 min.'),
  rules: z
    .array(
      z.strictObject({
        policyRules: names.min(1).describe('Policy rules (require-approval) this applies to, or ["*"].'),
        approverGroups: names.min(1),
        minApprovers: z.number().int().min(1).default(1),
        maxWindowMs: z
          .number()
          .int()
          .positive()
          .default(3600_000)
          .describe('Longest approval window. Default 1 h.'),
      }),
    )
    .default([]),
  notifications: z
    .array(
      z.discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('webhook'), url: z.url(), secret: secretRef }),
        z.strictObject({ kind: z.literal('slack'), url: secretRef }),
      ]),
    )
    .default([]),
  store: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('file'), dir: z.string().min(1) }),
      z.strictObject({ kind: z.literal('postgres'), url: secretRef }),
    ])
    .optional()
    .describe('Shared state for approvals and grants. Default: a file store under the audit directory.'),
});
