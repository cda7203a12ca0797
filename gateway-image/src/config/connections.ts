import { z } from 'zod';
import { FIELD_PATH_PATTERN } from '../masking/json-stream-path';
import { principalSelector } from './principals';
import { secretRef } from './secret-ref';

export const CONNECTION_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** PHI entities a column can be classified as; custom entities are written `custom:<name>`. */
export const PHI_ENTITIES = ['SSN', 'MRN', 'DOB', 'NAME', 'ADDRESS', 'PHONE', 'EMAIL', 'NOTE'] as const;
export const phiEntity = z
  .union([z.enum(PHI_ENTITIES), z.string().regex(/^custom:[A-Za-z0-9_-]+$/)])
  .describe(`A PHI entity: ${PHI_ENTITIES.join(', ')} or custom:<name>.`);

const host = z.string().min(1).describe('Host name or IP address.');
const port = z.number().int().min(1).max(65535);

const upstreamTls = z
  .strictObject({
    mode: z
      .enum(['verify-full', 'disable'])
      .default('verify-full')
      .describe(
        'verify-full checks the certificate chain and host name (default). disable is for loopback sandboxes only.',
      ),
    ca: secretRef
      .optional()
      .describe('CA bundle (PEM) to trust, e.g. the RDS or Cloud SQL bundle. Default: the system store.'),
    serverName: z
      .string()
      .optional()
      .describe('Name to verify in the certificate. Default: the upstream host.'),
  })
  .describe('TLS towards the upstream.');

const common = {
  name: z
    .string()
    .regex(CONNECTION_NAME)
    .describe('Connection name; clients select it (Postgres: the database name).'),
  description: z.string().optional(),
  phi: z.boolean().default(false).describe('Whether the target may hold PHI. Default false.'),
};

const acceptPrivilegedRole = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(10)
      .describe(
        'Why this PHI connection may run through a privileged role; recorded in every session.start.',
      ),
  })
  .optional();

/** An upstream role the gateway logs in as when a client asks for it by user name. */
const brokeredRole = z.strictObject({
  user: z.string().min(1).describe('The upstream role; a client picks it by connecting with this user name.'),
  password: secretRef.describe("The role's password; only the gateway ever holds it."),
  principals: principalSelector
    .optional()
    .describe('Who may use this role. Default: every principal with access to the connection.'),
  acceptPrivilegedRole: acceptPrivilegedRole.describe(
    "As the connection's acceptPrivilegedRole, for this role only. Default: refused on a phi connection.",
  ),
});

export const postgresConnection = z.strictObject({
  ...common,
  kind: z.literal('postgres'),
  upstream: z.strictObject({
    host,
    port: port.default(5432).describe('Default 5432.'),
    database: z.string().min(1).describe('Database name on the upstream server.'),
    user: z
      .string()
      .min(1)
      .describe(
        'Role the gateway logs in as: the default role, whatever user name a client gives unless roles are declared.',
      ),
    password: secretRef.describe('The role password; only the gateway ever holds it.'),
    tls: upstreamTls.prefault({}),
  }),
  classification: z
    .record(z.string().regex(/^[^.\s]+\.[^.\s]+\.([^.\s]+|\*)$/, 'expected schema.table.column'), phiEntity)
    .default({})
    .describe('PHI columns: "schema.table.column" (or "schema.table.*") → entity. Default none.'),
  acceptPrivilegedRole: acceptPrivilegedRole.describe(
    'The gateway refuses to serve a phi connection whose upstream role (upstream.user) is a superuser, has BYPASSRLS, REPLICATION or CREATEROLE, or is a member of pg_read_server_files, pg_write_server_files, pg_execute_server_program, pg_signal_backend, pg_read_all_stats, pg_monitor, pg_checkpoint, … — unless accepted here with a reason. Each of roles[] has its own. Default: refused.',
  ),
  roles: z
    .array(brokeredRole)
    .default([])
    .describe(
      "More upstream roles the gateway brokers on this connection. The client's startup user name picks one: a role's user, or upstream.user (which the principal's own name also picks). With roles declared, any other user name is refused (FATAL 28000 naming the names the principal may use). Default none: every user name logs in as upstream.user, and session.start records the name the client gave.",
    ),
});

const filePath = z
  .string()
  .min(1)
  .regex(/^[^\0\n]+$/, 'expected a path pattern on one line')
  .describe(
    'Path pattern: * matches within a name, ? one character, ** any number of directories. A pattern not starting with / matches at any depth; a relative path on the command line matches when some directory in front of it could make it match.',
  );

/** A delimited text file with a header row: columns are named by the header. */
const delimitedFile = z.strictObject({
  path: filePath,
  format: z.enum(['csv', 'tsv']),
  columns: z
    .record(z.string().min(1), phiEntity)
    .refine((c) => Object.keys(c).length > 0, 'expected at least one column')
    .describe('Header name (case-insensitive) → entity. Other columns go through the detectors.'),
  description: z.string().optional(),
});

/** A JSON file (one document or one value per line): members are named wherever they occur. */
const jsonFile = z.strictObject({
  path: filePath,
  format: z.literal('json'),
  fields: z
    .record(z.string().regex(/^(\$\.\.)?[A-Za-z_][\w-]*$/, 'expected a member name, or $..name'), phiEntity)
    .refine((f) => Object.keys(f).length > 0, 'expected at least one field')
    .describe(
      'Member name (or $..name) → entity, at any depth. Output is masked line by line, so name the members that hold values (given, family), not only the object around them.',
    ),
  description: z.string().optional(),
});

export const classifiedFile = z.discriminatedUnion('format', [delimitedFile, jsonFile]);

export const sshConnection = z.strictObject({
  ...common,
  kind: z.literal('ssh'),
  upstream: z.strictObject({
    host,
    port: port.default(22).describe('Default 22.'),
    user: z.string().min(1),
    privateKey: secretRef.optional().describe('Private key (OpenSSH/PEM) the gateway authenticates with.'),
    password: secretRef.optional().describe('Password, when no private key is given.'),
    hostKey: z
      .string()
      .regex(
        /^(ssh-ed25519|ecdsa-sha2-nistp\d+|rsa-sha2-\d+|ssh-rsa) [A-Za-z0-9+/=]+/,
        'expected an OpenSSH public key line',
      )
      .describe('The pinned upstream host key ("ssh-ed25519 AAAA…"); any other key is refused.'),
  }),
  files: z
    .array(classifiedFile)
    .default([])
    .describe(
      'Files holding PHI in columns or members. A command reading one is masked by column (csv, tsv: the gateway reads the header row first) or by member (json); only line-preserving readers (cat, head, tail, grep, sort, uniq, tac, wc) may read one, one file per command. Default none.',
    ),
});

/**
 * FHIR R4's code-valued members of the datatypes that hold identifiers (HumanName, ContactPoint,
 * Address, Identifier): `use`, `system`, `type`, `period`, `rank`, and an extension's `url`.
 */
export const DEFAULT_CODE_MEMBERS = ['use', 'system', 'type', 'period', 'rank', 'url'] as const;

export const httpConnection = z.strictObject({
  ...common,
  kind: z.literal('http'),
  upstream: z.strictObject({
    url: z.url({ protocol: /^https?$/ }).describe('Base URL of the upstream API.'),
    tls: upstreamTls.prefault({}),
    credential: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('bearer'), token: secretRef }),
        z.strictObject({ type: z.literal('basic'), username: z.string(), password: secretRef }),
        z.strictObject({ type: z.literal('header'), name: z.string().min(1), value: secretRef }),
        z.strictObject({ type: z.literal('client-certificate'), certificate: secretRef, key: secretRef }),
        z.strictObject({ type: z.literal('none') }),
      ])
      .describe('How the gateway authenticates upstream; the client never sees it.'),
  }),
  phiFields: z
    .record(
      z.string().regex(FIELD_PATH_PATTERN, 'expected a JSON field path such as $.entry[*].resource.name'),
      phiEntity,
    )
    .default({})
    .describe(
      'PHI fields in JSON responses: path → entity. Paths: $.a.b, [*] any element, .* any member, ..name at any depth. A path reaching a string, number or boolean masks that value; a path reaching an object or array masks every value beneath it except its codeMembers, so the document keeps its members and shape. Default none (detectors still run on every string).',
    ),
  codeMembers: z
    .array(z.string().min(1))
    .default([...DEFAULT_CODE_MEMBERS])
    .describe(
      'Members left as they are beneath a PHI field that names an object or array, with everything under them: values from fixed code sets that say what kind of name, number or address a value is and identify no one. They still go through the detectors, like every unclassified string; a path naming one of them directly still masks it. Default FHIR\'s ["use", "system", "type", "period", "rank", "url"] (a rule on $..name or $..telecom masks family, given and value, and keeps use, system and period, so the resource stays valid). [] masks every value beneath a PHI field.',
    ),
  binaryContentTypes: z
    .array(
      z.string().regex(/^[a-z0-9!#$&^_.+-]+\/([a-z0-9!#$&^_.+-]+|\*)$/, 'expected type/subtype or type/*'),
    )
    .default([])
    .describe(
      'Response content types passed through unmasked (e.g. application/pdf, image/*); they are audited. Default none: other non-text responses are refused.',
    ),
  route: z
    .strictObject({
      host: z.string().optional().describe('Route requests whose Host header matches this name.'),
      pathPrefix: z
        .string()
        .startsWith('/')
        .optional()
        .describe('Route requests whose path starts with this prefix.'),
    })
    .default({})
    .describe(
      'How HTTP requests are routed here. host only: requests for that Host, path forwarded as is. pathPrefix only: that prefix, removed before forwarding. Both: both must match. Neither (default): path prefix /<name>/.',
    ),
});

/** Kubernetes namespace or name glob: `*` matches any run of characters. */
const namespacePattern = z.string().regex(/^[a-z0-9*]([-a-z0-9*.]*)?$/, 'expected a namespace name or glob');

export const kubernetesConnection = z.strictObject({
  ...common,
  name: common.name.refine(
    (n) => !['api', 'apis', 'version', 'openapi'].includes(n),
    'a Kubernetes connection may not be named api, apis, version or openapi: its path prefix would hide Kubernetes API paths',
  ),
  kind: z.literal('kubernetes'),
  upstream: z.strictObject({
    url: z
      .url({ protocol: /^https$/ })
      .describe('The cluster API server, e.g. https://10.0.0.2 (a private endpoint). HTTPS only.'),
    tls: upstreamTls
      .prefault({})
      .describe('TLS towards the API server; ca is the cluster CA bundle (PEM, by secret reference).'),
    credential: z
      .discriminatedUnion('type', [
        z
          .strictObject({ type: z.literal('bearer'), token: secretRef })
          .describe('A service-account (or other bearer) token.'),
        z
          .strictObject({ type: z.literal('client-certificate'), certificate: secretRef, key: secretRef })
          .describe('A client certificate and key (PEM).'),
      ])
      .describe('How the gateway authenticates to the cluster; callers never see it.'),
  }),
  phiNamespaces: z
    .array(namespacePattern)
    .optional()
    .describe(
      'Namespaces holding PHI (globs). Policy matches them with kubernetes.phiNamespace. Default: every namespace when phi is true, none otherwise.',
    ),
  apiGroups: z
    .array(z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected an API group name'))
    .default([])
    .describe(
      "API groups beyond Kubernetes' built-in ones (custom resources) whose requests the gateway may pass to policy. Requests to any other group are refused. Default none.",
    ),
  route: z
    .strictObject({
      pathPrefix: z
        .string()
        .regex(/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/, 'expected a path prefix such as /prod')
        .refine(
          (p) => !/^\/(api|apis|version|openapi)(\/|$)/.test(p),
          'a prefix may not start with /api, /apis, /version or /openapi: it would hide Kubernetes API paths',
        )
        .optional()
        .describe('Path prefix on the kubernetes listener. Default /<name>.'),
    })
    .default({})
    .describe('Where callers reach this cluster: https://<gateway>:<kubernetes listener port><pathPrefix>.'),
});

export const connection = z.discriminatedUnion('kind', [
  postgresConnection,
  sshConnection,
  httpConnection,
  kubernetesConnection,
]);
export type ConnectionConfig = z.infer<typeof connection>;
export type PostgresConnectionConfig = z.infer<typeof postgresConnection>;
export type SshConnectionConfig = z.infer<typeof sshConnection>;
export type HttpConnectionConfig = z.infer<typeof httpConnection>;
export type KubernetesConnectionConfig = z.infer<typeof kubernetesConnection>;
export type ClassifiedFileConfig = z.infer<typeof classifiedFile>;
