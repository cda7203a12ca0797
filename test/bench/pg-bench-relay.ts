/**
 * The floor of any Node.js gateway, for the Postgres benchmark: a relay that terminates client
 * TLS (as Warden does) and copies bytes both ways, with no parsing, inspection, audit or masking.
 * Whatever it costs over direct, Warden cannot go below; the difference between the two is what
 * Warden's own work costs.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';

const SSL_REQUEST_CODE = 80877103;

export interface NodeRelay {
  readonly port: number;
  close(): Promise<void>;
}

export async function startNodeRelay(
  upstreamPort: number,
  tls: { readonly certificate: string; readonly key: string },
): Promise<NodeRelay> {
  const context = createSecureContext({ cert: tls.certificate, key: tls.key });
  const sockets = new Set<Socket>();
  const server: Server = createServer((raw) => {
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    raw.setNoDelay(true);
    raw.once('data', (first) => {
      if (first.length !== 8 || first.readUInt32BE(4) !== SSL_REQUEST_CODE) return void raw.destroy();
      raw.write('S');
      const client = new TLSSocket(raw, { isServer: true, secureContext: context });
      const upstream = tcpConnect(upstreamPort, '127.0.0.1');
      upstream.setNoDelay(true);
      const pipe = (from: Socket, to: Socket) => {
        from.on('data', (d: Buffer) => {
          if (!to.write(d)) from.pause();
        });
        to.on('drain', () => from.resume());
      };
      pipe(client, upstream);
      pipe(upstream, client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        s.on('close', end);
        s.on('error', end);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
