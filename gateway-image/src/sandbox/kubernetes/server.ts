/**
 * A test Kubernetes API server for `warden dev` and the tests: no real API server can run here,
 * so this one speaks the parts of the wire protocol kubectl and client libraries use, faithfully:
 * discovery, JSON objects and lists (and meta.k8s.io Tables when asked), watch streams, pod logs,
 * deletes with their watch, exec over WebSocket (exec.ts), and JSON Status errors. HTTPS with a
 * certificate of its own, and only the bearer token the gateway holds is accepted.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { generateSelfSigned } from '../../tls/self-signed';
import {
  API_GROUPS,
  apiVersions,
  CORE_RESOURCES,
  CORE_V1,
  type CoreResource,
  VERSION_INFO,
} from './discovery';
import { acceptExec } from './exec';
import { type KubeObject, sandboxClusterData } from './objects';

export interface SandboxKubernetesApi {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** The service-account token the API accepts (the gateway's upstream credential). */
  readonly token: string;
  /** The API server's certificate, which is its own CA (the connection's tls.ca). */
  readonly ca: string;
  /** The Secret value that must never leave the gateway. */
  readonly secretValue: string;
  /** Objects as they are now (tests check a delete happened, or did not). */
  exists(resource: CoreResource, namespace: string | undefined, name: string): boolean;
  close(): Promise<void>;
}

type Watcher = {
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly res: ServerResponse;
};

export async function startSandboxKubernetesApi(
  opts: { patients?: number; seed?: number } = {},
): Promise<SandboxKubernetesApi> {
  const data = sandboxClusterData(opts);
  const tls = await generateSelfSigned({
    commonName: 'sandbox-apiserver',
    altNames: ['IP:127.0.0.1', 'DNS:localhost'],
  });
  const token = randomBytes(24).toString('base64url');
  const expected = Buffer.from(`Bearer ${token}`);
  let revision = 1;
  const objects = data.objects;
  const watchers = new Set<Watcher>();
  const resourceOf = (o: KubeObject) =>
    (Object.entries(CORE_RESOURCES).find(([, r]) => r.kind === o.kind)?.[0] ?? '') as CoreResource;
  const authorized = (req: IncomingMessage) => {
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  const server = createServer({ cert: tls.certificate, key: tls.key }, (req, res) => {
    if (!authorized(req)) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const url = new URL(req.url ?? '/', 'https://sandbox.invalid');
    const p = url.pathname.split('/').filter(Boolean);
    const path = url.pathname;
    if (req.method === 'GET' && path === '/version') return json(res, 200, VERSION_INFO);
    if (req.method === 'GET' && path === '/api') return json(res, 200, apiVersions(`127.0.0.1:${port()}`));
    if (req.method === 'GET' && path === '/api/v1') return json(res, 200, CORE_V1);
    if (req.method === 'GET' && path === '/apis') return json(res, 200, API_GROUPS);
    if (p[0] !== 'api' || p[1] !== 'v1')
      return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    let rest = p.slice(2);
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [resource, name, sub] = rest as [string, string | undefined, string | undefined];
    if (!(resource in CORE_RESOURCES))
      return status(res, 404, 'NotFound', `the server could not find the requested resource (${resource})`);
    const kind = CORE_RESOURCES[resource as CoreResource];
    const find = (n: string) =>
      objects.find(
        (o) => resourceOf(o) === resource && o.metadata.name === n && o.metadata.namespace === namespace,
      );
    if (name !== undefined && sub === 'log' && req.method === 'GET') {
      const c = data.containers.get(`${namespace}/${name}`);
      if (!c) return status(res, 404, 'NotFound', `pods "${name}" not found`);
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(c.log);
    }
    if (name !== undefined && sub === 'exec') {
      return status(res, 400, 'BadRequest', 'Upgrade request required');
    }
    if (sub !== undefined)
      return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    if (req.method === 'GET' && url.searchParams.get('watch') === 'true') {
      return watch(res, resource, namespace, url.searchParams);
    }
    if (req.method === 'GET' && name === undefined) {
      const items = objects.filter(
        (o) =>
          resourceOf(o) === resource &&
          (namespace === undefined || o.metadata.namespace === namespace) &&
          selected(o, url.searchParams),
      );
      if (wantsTable(req)) return json(res, 200, table(resource as CoreResource, items, String(revision)));
      return json(res, 200, {
        kind: `${kind.kind}List`,
        apiVersion: 'v1',
        metadata: { resourceVersion: String(revision) },
        items,
      });
    }
    const found = name === undefined ? undefined : find(name);
    if (!found)
      return status(res, 404, 'NotFound', `${resource} "${name ?? ''}" not found`, { name, kind: resource });
    if (req.method === 'GET') {
      return json(
        res,
        200,
        wantsTable(req) ? table(resource as CoreResource, [found], String(revision)) : found,
      );
    }
    if (req.method === 'DELETE') {
      objects.splice(objects.indexOf(found), 1);
      found.metadata.resourceVersion = String(++revision);
      for (const w of watchers) {
        if (
          w.resource === resource &&
          (w.namespace === undefined || w.namespace === namespace) &&
          (w.name === undefined || w.name === found.metadata.name)
        ) {
          w.res.write(`${JSON.stringify({ type: 'DELETED', object: found })}\n`);
        }
      }
      return json(res, 200, found);
    }
    status(res, 405, 'MethodNotAllowed', `${req.method} is not supported by the sandbox API`);
  });

  function watch(res: ServerResponse, resource: string, namespace: string | undefined, q: URLSearchParams) {
    const name = /^metadata\.name=(.+)$/.exec(q.get('fieldSelector') ?? '')?.[1];
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const rv = q.get('resourceVersion');
    if (rv === null || rv === '' || rv === '0') {
      for (const o of objects) {
        if (
          resourceOf(o) === resource &&
          (namespace === undefined || o.metadata.namespace === namespace) &&
          selected(o, q)
        ) {
          res.write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`);
        }
      }
    }
    const w: Watcher = { resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}), res };
    watchers.add(w);
    const timeout = Math.min(Number(q.get('timeoutSeconds') ?? 30) || 30, 60);
    const timer = setTimeout(() => res.end(), timeout * 1000);
    res.once('close', () => {
      clearTimeout(timer);
      watchers.delete(w);
    });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://sandbox.invalid');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    const refuse = (code: number, reason: string, message: string) => {
      const body = JSON.stringify(statusBody(code, reason, message));
      socket.end(
        `HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    if (!authorized(req)) return refuse(401, 'Unauthorized', 'Unauthorized');
    if (!m || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket')
      return refuse(400, 'BadRequest', 'only exec over WebSocket is served');
    const container = data.containers.get(`${m[1]}/${m[2]}`);
    if (!container) return refuse(404, 'NotFound', `pods "${m[2]}" not found`);
    acceptExec(req, socket, head, container, url.searchParams.getAll('command'));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = () => (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port()}`,
    token,
    ca: tls.certificate,
    secretValue: data.secretValue,
    exists: (resource, namespace, name) =>
      objects.some(
        (o) => resourceOf(o) === resource && o.metadata.namespace === namespace && o.metadata.name === name,
      ),
    async close() {
      for (const w of watchers) w.res.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function selected(o: KubeObject, q: URLSearchParams): boolean {
  const name = /^metadata\.name=(.+)$/.exec(q.get('fieldSelector') ?? '')?.[1];
  return name === undefined || o.metadata.name === name;
}

function wantsTable(req: IncomingMessage): boolean {
  return /as=Table/.test(req.headers.accept ?? '');
}

/** Server-side printing (meta.k8s.io/v1 Table), what kubectl get asks for. */
function table(resource: CoreResource, items: readonly KubeObject[], resourceVersion: string) {
  const column = (name: string, type = 'string', format = '') => ({
    name,
    type,
    format,
    description: name,
    priority: 0,
  });
  const pods = resource === 'pods';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: pods
      ? [
          column('Name', 'string', 'name'),
          column('Ready'),
          column('Status'),
          column('Restarts', 'integer'),
          column('Age'),
        ]
      : [
          column('Name', 'string', 'name'),
          ...(resource === 'namespaces' ? [column('Status')] : [column('Data', 'integer')]),
          column('Age'),
        ],
    rows: items.map((o) => ({
      cells: pods
        ? [o.metadata.name, '1/1', (o.status as { phase: string }).phase, 0, '5m']
        : [
            o.metadata.name,
            resource === 'namespaces' ? 'Active' : Object.keys((o.data as object) ?? {}).length,
            '5m',
          ],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

function status(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): void {
  json(res, code, statusBody(code, reason, message, details));
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
