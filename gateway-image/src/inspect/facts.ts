/**
 * Protocol-neutral facts about one command, produced by the inspectors (SQL, SSH, HTTP) and
 * consumed by policy, approvals and audit. Facts never contain literal values from the command.
 */
export type Facts = SqlFacts | ShellFacts | HttpFacts | KubernetesFacts;

export type SqlStatementKind =
  | 'select'
  | 'insert'
  | 'update'
  | 'delete'
  | 'merge'
  | 'copy'
  | 'ddl'
  | 'transaction'
  | 'set'
  | 'show'
  | 'explain'
  | 'prepare'
  | 'execute'
  | 'deallocate'
  | 'cursor'
  | 'listen'
  | 'notify'
  | 'call'
  | 'do'
  | 'grant'
  | 'utility'
  | 'other';

export type SqlClause =
  | 'select'
  | 'where'
  | 'join'
  | 'group'
  | 'having'
  | 'order'
  | 'window'
  | 'returning'
  | 'set'
  | 'values'
  /** An argument of a function that stores it in server state others can read (set_config, pg_notify, …). */
  | 'sink'
  | 'other';

export interface ColumnRef {
  /** Schema-qualified relation when it could be resolved (`public.patients`), else as written. */
  readonly relation?: string;
  readonly column: string;
  readonly clause: SqlClause;
}

export interface SqlStatementFacts {
  readonly kind: SqlStatementKind;
  /** The parser's node tag, e.g. `SelectStmt`, `CreateStmt`. */
  readonly node: string;
  /** Relations read, schema-qualified through the session's search_path. */
  readonly reads: readonly string[];
  /** Relations written (INSERT/UPDATE/DELETE/MERGE/COPY FROM/TRUNCATE/DDL targets). */
  readonly writes: readonly string[];
  readonly columns: readonly ColumnRef[];
  /** Functions called, lower-case, schema-qualified when written so (`pg_read_file`, `dblink`). */
  readonly functions: readonly string[];
  /** For UPDATE and DELETE: whether a WHERE clause is present. */
  readonly hasWhere?: boolean;
  readonly copy?: {
    readonly direction: 'from' | 'to';
    readonly target: 'stdin' | 'stdout' | 'file' | 'program';
  };
  /** DO blocks, dynamic EXECUTE, CALL: statements whose effect cannot be seen from the text. */
  readonly opaque: boolean;
  /** Whether the statement can return rows. */
  readonly returnsRows: boolean;
  /**
   * SET / RESET: the setting changed, so the session can follow `search_path`. `value` is kept
   * for search_path only (schema names) and is absent for RESET / DEFAULT; other settings' values
   * are literals and are never kept.
   */
  readonly setting?: { readonly name: string; readonly local: boolean; readonly value?: readonly string[] };
  /**
   * Every run-time setting the statement changes, wherever: SET/RESET (also inside ALTER ROLE,
   * ALTER DATABASE, ALTER SYSTEM or a function's SET clause), set_config(…) anywhere in an
   * expression, writes to pg_settings. Lower-case names; `*` when the statement computes the name.
   * Absent when there are none. Values are never kept.
   */
  readonly settings?: readonly string[];
}

export interface SqlFacts {
  readonly protocol: 'postgres';
  readonly statements: readonly SqlStatementFacts[];
  /** The command with literals replaced by placeholders ($1, $2, …): safe to audit. */
  readonly normalized: string;
  /** Stable fingerprint of the normalized command (libpg-query fingerprint). */
  readonly fingerprint: string;
}

/**
 * What a command line does, as policy sees it. The first five describe the line's shape; the
 * others are given per program by the inspector's program catalog (inspect/ssh/programs.ts).
 */
export type ShellFeature =
  | 'pipe'
  | 'sequence'
  | 'substitution'
  | 'redirection'
  | 'background'
  /** The program name is computed when the line runs (variable, $'…', glob, brace, substitution). */
  | 'expansion'
  /** Runs code the line does not show: a shell reading stdin or a file, an interpreter, eval, xargs, find -exec. */
  | 'shell'
  /** Moves files or bytes off the host: scp/rsync server modes, sftp-server, network clients. */
  | 'transfer'
  /** Rewrites output so that line masking cannot follow it: encoders, transformers, hashes, character splitters. */
  | 'encoder'
  /** Deletes, shreds or truncates files (rm, dd, truncate, find -delete, `> file`). */
  | 'destructive'
  /** Not on the read-only inspection allowlist, or with an option the allowlist refuses. */
  | 'unvetted'
  /** Reads a classified file in a way whose output the gateway cannot mask; always refused. */
  | 'unmaskable'
  /**
   * Picks the lines of a classified file by what they hold (grep): which lines match, how many and
   * the exit status tell what the masked values are, however the lines shown are masked.
   */
  | 'search';

/** One program of a command line, wrappers resolved (`sudo nice rm` gives sudo, nice and rm). */
export interface ShellCommandFacts {
  /** Base name (`/bin/rm`, `\rm` → `rm`); as written when computed at run time (`$x$y`). */
  readonly program: string;
  readonly features: readonly ShellFeature[];
  /** Why the catalog gave each feature (option names and paths, never file contents). */
  readonly notes?: Readonly<Partial<Record<ShellFeature, readonly string[]>>>;
}

export interface ShellFacts {
  readonly protocol: 'ssh';
  readonly mode: 'exec' | 'shell' | 'subsystem';
  /** Every program the line runs, wrappers included, as base names. */
  readonly programs: readonly string[];
  readonly commandLine?: string;
  /** The line's shape and every program's features, together. */
  readonly features: readonly ShellFeature[];
  readonly subsystem?: string;
  /** Per program, in the order found; policy decides each program with its own features. */
  readonly commands?: readonly ShellCommandFacts[];
  /** Paths the line reads as files, as written (operands, file options, `<` redirections). */
  readonly files?: readonly string[];
  /** The files among `files` that the connection classifies (their output is masked by column or member). */
  readonly classifiedFiles?: readonly string[];
}

export interface HttpFacts {
  readonly protocol: 'http';
  readonly method: string;
  readonly path: string;
  readonly query: readonly string[];
  readonly bodyBytes: number;
}

export type KubernetesVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection';

/**
 * One Kubernetes API request, as RBAC would see it, plus what the gateway adds: whether its
 * namespace holds PHI, and for exec the command as the SSH inspector reads it. Never holds query
 * values, request bodies or header values.
 */
export interface KubernetesFacts {
  readonly protocol: 'kubernetes';
  readonly verb: KubernetesVerb;
  /** HTTP method as sent (an exec's GET upgrade is verb create). */
  readonly method: string;
  /** Discovery (/api, /apis, /version, /openapi/…): no resource. */
  readonly discovery: boolean;
  /** The request path relative to the connection, for discovery and the audit. */
  readonly path: string;
  /** "" for the core group. Absent for discovery. */
  readonly apiGroup?: string;
  readonly apiVersion?: string;
  readonly resource?: string;
  readonly subresource?: string;
  /** Absent for cluster-scoped resources and requests across every namespace. */
  readonly namespace?: string;
  readonly name?: string;
  /** Whether the request touches a PHI namespace (a request across namespaces does when any is). */
  readonly phiNamespace: boolean;
  /** Query parameter names (values never). */
  readonly query: readonly string[];
  /** exec: the container's command line (argv quoted as a shell would need), inspected as SSH exec. */
  readonly command?: ShellFacts;
  /** exec and log: the container named, stdin and tty asked for. */
  readonly container?: string;
  readonly stdin?: boolean;
  readonly tty?: boolean;
}
