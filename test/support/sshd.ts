/**
 * A real OpenSSH server for tests (Debian's openssh-server), started by the sandbox module on a
 * free loopback port with its own keys and config. Always `stop()` it.
 */
import { type OpenSshServer, startOpenSshServer } from '../../gateway-image/src/sandbox/ssh-host';

export {
  freePort,
  keygen,
  SSHD,
  sshdInstalled as sshdAvailable,
} from '../../gateway-image/src/sandbox/ssh-host';

export interface TestSshd extends OpenSshServer {
  /** "ssh-ed25519 AAAA…" of the server: what a connection pins. */
  readonly hostPublicKey: string;
  stop(): Promise<void>;
}

export async function startSshd(): Promise<TestSshd> {
  const server = await startOpenSshServer();
  return Object.assign(server, { hostPublicKey: server.hostKey, stop: () => server.close() });
}
