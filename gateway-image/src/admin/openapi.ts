/**
 * The OpenAPI 3.1 description of the admin API, served at `/openapi.json`. Written by hand next to
 * the routes it describes (a test checks every documented path answers); schemas stay loose where
 * the record types already document the fields (approvals/model.ts, audit/event.ts).
 */

type Json = Record<string, unknown>;

const problem = { $ref: '#/components/schemas/Problem' };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description = 'OK') => ({
  description,
  content: { 'application/json': { schema } },
});
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      { description: 'Problem', content: { 'application/problem+json': { schema: problem } } },
    ]),
  );
const body = (properties: Json, required: string[]) => ({
  required: true,
  content: { 'application/json': { schema: { type: 'object', properties, required } } },
});
const query = (name: string, description: string, schema: Json = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const listOf = (key: string, item: Json) => ({
  type: 'object',
  properties: { [key]: { type: 'array', items: item } },
});

const paths: Json = {
  '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: json({ type: 'object' }) } } },
  '/openapi.json': {
    get: { summary: 'This document', security: [], responses: { 200: json({ type: 'object' }) } },
  },
  '/v1/session-tokens': {
    post: {
      summary: 'Exchange an OIDC access token for a Warden session token',
      security: [{ bearer: [] }],
      requestBody: { ...body({ ttlSeconds: { type: 'integer' } }, []), required: false },
      responses: { 201: json(ref('SessionToken'), 'Issued'), ...errors(400, 401, 503) },
    },
  },
  '/v1/session-tokens/revoke': {
    post: {
      summary: 'Revoke a session token (admin groups)',
      requestBody: body({ jti: { type: 'string' } }, ['jti']),
      responses: { 200: json({ type: 'object' }), ...errors(400, 401, 403) },
    },
  },
  '/v1/approvals': {
    get: {
      summary: 'Approval requests the caller may see (own, approver groups, admins)',
      parameters: [
        query('status', 'Filter by status', {
          enum: ['pending', 'approved', 'denied', 'expired', 'abandoned'],
        }),
      ],
      responses: { 200: json(listOf('approvals', ref('Approval'))), ...errors(400, 401) },
    },
  },
  '/v1/approvals/{id}': {
    get: {
      summary: 'One approval request',
      parameters: [pathParam('id')],
      responses: { 200: json(ref('Approval')), ...errors(401, 404) },
    },
  },
  '/v1/approvals/{id}/decision': {
    post: {
      summary: 'Approve or deny (approver groups; never the requester)',
      parameters: [pathParam('id')],
      requestBody: body(
        {
          verdict: { enum: ['approve', 'deny'] },
          justification: { type: 'string', minLength: 1, maxLength: 2000 },
          scope: { enum: ['once', 'window'], default: 'once' },
          windowMs: { type: 'integer', description: "For a window; capped by the rule's maxWindowMs" },
        },
        ['verdict', 'justification'],
      ),
      responses: { 200: json(ref('Approval')), ...errors(400, 401, 403, 404, 409) },
    },
  },
  '/v1/access-requests': {
    post: {
      summary: 'Request just-in-time access to a connection',
      requestBody: body(
        { connection: { type: 'string' }, durationMs: { type: 'integer' }, reason: { type: 'string' } },
        ['connection', 'durationMs', 'reason'],
      ),
      responses: { 201: json(ref('Approval'), 'Pending'), ...errors(400, 401) },
    },
  },
  '/v1/grants': {
    get: {
      summary: 'Just-in-time grants',
      responses: { 200: json(listOf('grants', ref('Grant'))), ...errors(401) },
    },
  },
  '/v1/grants/{id}/revoke': {
    post: {
      summary: 'Revoke a grant; live sessions using it end',
      parameters: [pathParam('id')],
      requestBody: { ...body({ reason: { type: 'string' } }, []), required: false },
      responses: { 200: json(ref('Grant')), ...errors(401, 404, 409) },
    },
  },
  '/v1/audit/events': {
    get: {
      summary: 'Search the audit log, newest first (reviewers)',
      parameters: [
        query('principal', 'Subject of the acting principal'),
        query('connection', 'Connection name'),
        query('session', 'Gateway session id'),
        query('type', "Exact type, or a prefix ending in '.'"),
        query('since', 'ISO 8601, inclusive', { type: 'string', format: 'date-time' }),
        query('until', 'ISO 8601, inclusive', { type: 'string', format: 'date-time' }),
        query('limit', 'Default 100', { type: 'integer', minimum: 1, maximum: 1000 }),
      ],
      responses: {
        200: json({
          type: 'object',
          properties: { events: { type: 'array' }, truncated: { type: 'boolean' } },
        }),
        ...errors(400, 401, 403),
      },
    },
  },
  '/v1/sessions': {
    get: {
      summary: 'Live Postgres and SSH sessions on this gateway, with the approvals they hold (reviewers)',
      description:
        'Every process of this gateway (all workers); each replica lists its own. HTTP requests are ' +
        'not sessions and are not listed. canTerminate says whether the caller may terminate.',
      responses: {
        200: json({
          type: 'object',
          properties: {
            sessions: { type: 'array', items: ref('LiveSession') },
            canTerminate: { type: 'boolean' },
          },
        }),
        ...errors(401, 403),
      },
    },
  },
  '/v1/sessions/{id}/terminate': {
    post: {
      summary: 'End a live session (admin groups only)',
      description:
        'The client is told who ended it and the reason (Postgres: FATAL 57P01; SSH: a line on ' +
        "stderr). The session's session.end event has reason 'terminated', terminatedBy and " +
        'terminationReason; the act is audited as session.terminated. 404 for an unknown or ended session.',
      parameters: [pathParam('id')],
      requestBody: {
        ...body({ reason: { type: 'string', maxLength: 500, description: 'Shown to the client' } }, []),
        required: false,
      },
      responses: {
        200: json({
          type: 'object',
          properties: {
            status: { const: 'terminated' },
            session: ref('LiveSession'),
            terminatedBy: { type: 'string' },
            reason: { type: 'string' },
          },
        }),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/v1/recordings': {
    get: {
      summary: 'Session recordings (reviewers)',
      responses: { 200: json(listOf('recordings', { type: 'object' })), ...errors(401, 403) },
    },
  },
  '/v1/recordings/{session}': {
    get: {
      summary: 'One recording: its JSON lines (warden-recording/1)',
      parameters: [pathParam('session')],
      responses: { 200: json(listOf('lines', { type: 'object' })), ...errors(401, 403, 404) },
    },
  },
  '/console/login': {
    get: {
      summary: 'Start console sign-in (authorization code + PKCE)',
      security: [],
      responses: { 302: { description: 'To the issuer' } },
    },
  },
  '/console/callback': {
    get: {
      summary: 'Issuer redirect target; sets the session cookie',
      security: [],
      responses: { 200: { description: 'Signed in' } },
    },
  },
  '/console/session': {
    get: {
      summary: "The console session's principal and CSRF token",
      security: [{ console: [] }],
      responses: { 200: json({ type: 'object' }), ...errors(401) },
    },
  },
  '/console/logout': {
    post: {
      summary: 'End the console session',
      security: [{ console: [], csrf: [] }],
      responses: { 204: { description: 'Signed out' } },
    },
  },
};

export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Warden admin API',
      version: '1',
      description:
        'Approvals, just-in-time grants, session tokens, live sessions, audit search and recordings. Every route ' +
        'except health, this document and console sign-in needs a bearer token (OIDC or Warden ' +
        'session token) or a console session cookie; with the cookie, state changes also need the ' +
        'X-Warden-CSRF header. Errors are RFC 9457 problem documents.',
    },
    security: [{ bearer: [] }, { console: [], csrf: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        console: { type: 'apiKey', in: 'cookie', name: 'warden_console' },
        csrf: { type: 'apiKey', in: 'header', name: 'X-Warden-CSRF' },
      },
      schemas: {
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string' },
          },
        },
        SessionToken: {
          type: 'object',
          properties: { token: { type: 'string' }, expiresAt: { type: 'string' } },
        },
        Approval: {
          type: 'object',
          description: 'ApprovalRecord (gateway-image/src/approvals/model.ts)',
          properties: {
            id: { type: 'string' },
            kind: { enum: ['command', 'access'] },
            status: { enum: ['pending', 'approved', 'denied', 'expired', 'abandoned'] },
            requester: { type: 'object' },
            connection: { type: 'string' },
            protocol: { enum: ['postgres', 'ssh', 'http', 'kubernetes'] },
            command: {
              type: 'string',
              description:
                'What the approver is shown, with no values: SQL with placeholders, a masked command line, a method and path with query parameter names, a Kubernetes request',
            },
            statements: { type: 'array', description: 'SQL only: what each statement reads and writes' },
            rule: { type: 'string' },
            reason: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
            expiresAt: { type: 'string', format: 'date-time' },
            votes: { type: 'array' },
          },
        },
        Grant: { type: 'object', description: 'GrantRecord (gateway-image/src/approvals/model.ts)' },
        LiveSession: {
          type: 'object',
          properties: {
            session: { type: 'string' },
            protocol: { enum: ['postgres', 'ssh'] },
            connection: { type: 'string' },
            principal: { type: 'object', description: 'subject, kind, issuer, groups' },
            startedAt: { type: 'string', format: 'date-time' },
            pid: { type: 'integer', description: 'The gateway process serving it' },
            holding: { type: 'array', items: { type: 'string' }, description: 'Pending approval ids' },
            terminable: { type: 'boolean' },
          },
        },
      },
    },
  };
}
