/**
 * What each scenario of the matrix expects. A `same` scenario must give, through Warden, exactly
 * what it gives directly, and the direct result must show the scenario really ran (`shows`). The
 * others differ through Warden only by a documented decision, which they assert.
 * A scenario a driver cannot express is reported by the driver as { na: why }, and must be listed
 * here under `notApplicable` so nothing is skipped silently.
 */

export interface Context {
  readonly driver: string;
  /** The agent's subject, as the application name upstream names it. */
  readonly subject: string;
}

// biome-ignore lint/suspicious/noExplicitAny: driver results are JSON of each driver's own shape
type Result = any;

export interface Expectation {
  readonly id: string;
  readonly title: string;
  /** Drivers that cannot express the scenario. */
  readonly notApplicable?: readonly string[];
  /** Texts the direct result must contain (as JSON), so two empty results never pass. */
  readonly shows?: (driver: string) => readonly string[];
  /**
   * For scenarios that differ by design: asserts the documented difference. Absent: the result
   * through Warden must equal the direct one.
   */
  readonly differs?: (direct: Result, warden: Result, ctx: Context) => void;
  /** What the matrix table says when the difference is asserted. */
  readonly decision?: string;
}

const text = (r: Result) => JSON.stringify(r);
const expectContains = (r: Result, parts: readonly string[]) => {
  for (const p of parts) expect(text(r)).toContain(p);
};

const NO_PIPELINE = ['psql', 'psycopg2'];
const TEXT_ONLY = ['psql', 'psycopg2', 'postgres-js', 'pg-text'];

export const EXPECTATIONS: readonly Expectation[] = [
  {
    id: 'types-text',
    title: 'type round trip, text',
    notApplicable: ['pg-binary'],
    shows: () => [
      '12345678901234567890.123456789',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      'happy',
      '00ff10',
    ],
  },
  {
    id: 'types-binary',
    title: 'type round trip, binary',
    notApplicable: TEXT_ONLY,
    shows: () => [
      '12345678901234567890.123456789',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      'happy',
      '00ff10',
    ],
  },
  { id: 'prepared-reuse', title: 'named prepared statement ×40', shows: () => ['78', '39'] },
  {
    id: 'pipeline',
    title: 'pipelined queries (one failing)',
    notApplicable: NO_PIPELINE,
    shows: (d) => (d === 'jdbc' ? ['pipe_x_check', '[1,1,1,1]'] : ['division by zero', '4']),
  },
  {
    id: 'portal-row-limit',
    title: 'portal with a row limit',
    notApplicable: ['psql', 'psycopg2'],
    shows: () => ['53'],
  },
  { id: 'cursor', title: 'SQL cursor, FETCH 7', shows: () => ['53'] },
  {
    id: 'copy',
    title: 'COPY in and out (csv)',
    notApplicable: ['pg-text', 'pg-binary'],
    shows: () => ['with, comma', 'quote '],
  },
  { id: 'listen-notify', title: 'LISTEN / NOTIFY', shows: () => ['hello from the matrix'] },
  { id: 'cancel', title: 'cancel request', shows: () => ['canceling statement due to user request'] },
  {
    id: 'statement-timeout',
    title: 'statement_timeout from the connection string',
    shows: () => ['300ms', 'canceling statement due to statement timeout'],
  },
  {
    id: 'startup-settings',
    title: 'startup settings (options, search_path)',
    shows: (d) => [
      'matrix,public',
      '1234ms',
      '5min',
      'found through search_path',
      ...(d.startsWith('pg-') ? ['5s', '4321ms'] : []),
    ],
  },
  { id: 'multi-statement', title: 'multi-statement simple query', shows: () => ['last'] },
  {
    id: 'errors',
    title: 'errors: position, detail, hint, constraint',
    shows: (d) => [
      'syntax error at or near',
      'division by zero',
      'Key (id)=(1) already exists.',
      'Perhaps you meant to reference the column',
      ...(d === 'psql' ? ['LINE 1: SELECT id, FROM uniq'] : ['12', 'uniq_pk']),
    ],
  },
  { id: 'notices', title: 'notices and warnings', shows: () => ['hello 42', 'some detail', 'some hint'] },
  {
    id: 'transaction-rollback',
    title: 'transaction rolled back on error',
    shows: () => ['current transaction is aborted'],
  },
  {
    id: 'large-result',
    title: 'large result (100k rows)',
    shows: () => ['100000', '5fe3a1833b5eebd46da7d2f42f0dbca2590a118fe8b04e9d76c9f9d4e4b9c296'],
  },
  {
    id: 'disconnect-mid-result',
    title: 'client disconnects mid-result',
    shows: () => ['"serverBackendGone":true'],
  },
  {
    id: 'scratch-unrestricted',
    title: 'scratch: DDL, DELETE/UPDATE without WHERE, TRUNCATE, DO',
    shows: (d) => (d === 'psql' ? ['DELETE 3', 'TRUNCATE TABLE', 'DO'] : ['3']),
  },
  {
    id: 'application-name',
    title: 'application_name upstream',
    decision: 'upstream name is "<client> (warden:<subject>)"',
    differs(direct, warden, { driver, subject }) {
      const suffix = ` (warden:${subject})`;
      if (driver === 'psql') {
        expect(warden.out).toBe(direct.out.replace('\n', `${suffix}\n`));
        return;
      }
      // pgjdbc sets application_name again with SET once logged in: the client's SET wins, as it would directly.
      if (driver === 'jdbc') expect(warden.applicationName).toBe(direct.applicationName);
      else expect(warden.applicationName).toBe(`${direct.applicationName}${suffix}`);
      // The client is told its own name, as a direct server would tell it.
      if ('reported' in direct) expect(warden.reported).toBe(direct.reported);
      // A name given only in options is the client's name too.
      if ('fromOptions' in direct) expect(warden.fromOptions).toBe(`${direct.fromOptions}${suffix}`);
    },
  },
  {
    id: 'user-names',
    title: 'user names and brokered roles',
    decision: 'scratch (no roles): any name; patients: a declared role, else FATAL 28000 naming the names',
    differs(direct, warden) {
      // Directly, a name nobody holds fails the server's own login.
      expect(text(direct.scratchUnknown)).toContain('password authentication failed');
      expect(warden.scratchUnknown).toEqual({ currentUser: 'warden_gateway' });
      expectContains(warden.phiUnknown, [
        'user name \\"nobody-in-particular\\" is not a role Warden brokers for you on connection \\"patients\\"',
        'Connect with one of these user names: \\"matrix-agent\\", \\"warden_gateway\\", \\"warden_matrix_reader\\".',
      ]);
      if (warden.phiUnknown.error.code !== undefined) expect(warden.phiUnknown.error.code).toBe('28000');
      expect(direct.phiRole).toEqual({ currentUser: 'warden_matrix_reader' });
      expect(warden.phiRole).toEqual(direct.phiRole);
    },
  },
  {
    id: 'phi-masking',
    title: 'PHI columns (patients, agent profile)',
    decision: 'masked: NAME redacted, SSN partial, DOB year; masked columns announced as text',
    differs(direct, warden) {
      expectContains(direct, ['Ada', '123-45-6789', '1980-03-14']);
      expectContains(warden, ['[NAME]', '***-**-6789', '***-**-4321', '1980', '1975']);
      for (const raw of ['Ada', 'Grace', '123-45-6789', '1980-03-14'])
        expect(text(warden)).not.toContain(raw);
      const types = warden.types ?? warden.oids;
      if (types) {
        // date_of_birth is announced as the text type the name column has; directly it is a date.
        expect(types[3]).toBe(types[1]);
        expect((direct.types ?? direct.oids)[3]).not.toBe(types[1]);
        expect(types[0]).toBe((direct.types ?? direct.oids)[0]);
      }
    },
  },
  {
    id: 'phi-policy-refusal',
    title: 'denied statement inside a transaction',
    decision: 'ERROR 42501 naming the rule; the transaction is aborted as on the server',
    differs(direct, warden) {
      expect(text(direct)).toContain('permission denied for function pg_read_file');
      expectContains(warden, [
        'statement denied by Warden policy rule \\"deny-dangerous-functions\\"',
        'current transaction is aborted',
      ]);
      // Everything but the refusal's text is what the server gave.
      if (!Array.isArray(direct)) {
        expect(warden.out).toBe(direct.out);
        expect(warden.err.split('\n').slice(-2)).toEqual(direct.err.split('\n').slice(-2));
        return;
      }
      expect(warden).toHaveLength(direct.length);
      warden.forEach((w: Result, i: number) => {
        const refusal = w.error ?? w.commit;
        if (i === 1 || w.commit) {
          expect(refusal.code ?? direct[i].error?.code).toBe((direct[i].error ?? direct[i].commit).code);
          expect(refusal.message).toMatch(
            /^statement denied by Warden policy rule "deny-dangerous-functions"/,
          );
        } else expect(w).toEqual(direct[i]);
      });
    },
  },
];
