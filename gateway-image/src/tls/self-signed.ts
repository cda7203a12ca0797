import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WardenError } from '../errors';

const run = promisify(execFile);

export interface SelfSignedOptions {
  readonly commonName: string;
  /** subjectAltName entries, e.g. ['DNS:localhost', 'IP:127.0.0.1']. @default DNS:localhost, IP:127.0.0.1, IP:::1 */
  readonly altNames?: readonly string[];
  /** @default 30 */
  readonly days?: number;
}

export interface CertificateAndKey {
  readonly certificate: string;
  readonly key: string;
}

/**
 * A self-signed P-256 certificate for the local sandbox and tests, made with the system's
 * `openssl` (Node can make keys but not X.509 certificates). Production certificates come from
 * the deployment (Secrets Manager, Secret Manager) through secret references.
 */
export async function generateSelfSigned(opts: SelfSignedOptions): Promise<CertificateAndKey> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-cert-'));
  const alt = (opts.altNames ?? ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']).join(',');
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      String(opts.days ?? 30),
      '-subj',
      `/CN=${opts.commonName}`,
      '-addext',
      `subjectAltName=${alt}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    return {
      certificate: await readFile(join(dir, 'cert.pem'), 'utf8'),
      key: await readFile(join(dir, 'key.pem'), 'utf8'),
    };
  } catch (err) {
    throw new WardenError(
      'ERR_TLS_CERTIFICATE',
      'could not create a self-signed certificate: is `openssl` installed?',
      { cause: err },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
