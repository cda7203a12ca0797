/**
 * The sandbox cluster's exec: the WebSocket side of the API server (channel protocols v5 and v4)
 * over a fake container runtime that knows a few programs (cat, head, ls, env, echo, id). Output
 * goes on channel 1 or 2, the final Status on channel 3, then the socket closes, as the kubelet's
 * streaming server does.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { FakeContainer } from './objects';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false,
});

export function acceptExec(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  container: FakeContainer,
  argv: readonly string[],
): void {
  wss.handleUpgrade(req, socket, head, (ws) => runExec(ws, container, argv));
}

function runExec(ws: WebSocket, container: FakeContainer, argv: readonly string[]): undefined {
  const out = (channel: number, text: string) =>
    ws.send(Buffer.concat([Buffer.of(channel), Buffer.from(text)]));
  const finish = (code: number): undefined => {
    const status =
      code === 0
        ? { metadata: {}, status: 'Success' }
        : {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
          };
    ws.send(Buffer.concat([Buffer.of(3), Buffer.from(JSON.stringify(status))]));
    ws.close(1000);
  };
  const [program, ...args] = argv;
  const file = (path: string) => container.files.get(path);
  switch (program) {
    case 'cat': {
      if (args.length === 0) {
        // cat with no file copies stdin until the client closes it (v5: a close message for channel 0).
        ws.on('message', (m: Buffer) => {
          if (m[0] === 0) out(1, m.subarray(1).toString('utf8'));
          if (m[0] === 255 && m[1] === 0) finish(0);
        });
        return;
      }
      for (const a of args) {
        const text = file(a);
        if (text === undefined) {
          out(2, `cat: ${a}: No such file or directory\n`);
          return finish(1);
        }
        out(1, text);
      }
      return finish(0);
    }
    case 'head': {
      const n = args[0] === '-n' ? Number(args[1]) : 10;
      const text = file(args.at(-1) ?? '');
      if (text === undefined) {
        out(2, 'head: cannot open file\n');
        return finish(1);
      }
      out(1, `${text.split('\n').slice(0, n).join('\n')}\n`);
      return finish(0);
    }
    case 'ls':
      out(1, `${[...container.files.keys()].join('\n')}\n`);
      return finish(0);
    case 'env':
      out(
        1,
        `${Object.entries(container.env)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n')}\n`,
      );
      return finish(0);
    case 'echo':
      out(1, `${args.join(' ')}\n`);
      return finish(0);
    case 'id':
      out(1, 'uid=1000(app) gid=1000(app) groups=1000(app)\n');
      return finish(0);
    default:
      out(2, `exec: "${program}": executable file not found in $PATH\n`);
      return finish(127);
  }
}
