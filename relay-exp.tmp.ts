import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { startEmbeddedPostgres } from './gateway-image/src/sandbox/embedded-postgres';
import { generateSelfSigned } from './gateway-image/src/tls/self-signed';
import { Client } from 'pg';

async function main() {
  const pg = await startEmbeddedPostgres();
  try {
    const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: 'postgres' });
    await c.connect(); await c.query('create database bench'); await c.end();
    const env = { ...process.env, PGPASSWORD: pg.password };
    execFileSync('pgbench', ['-i', '-q', '-s', '1', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, 'bench'], { env, stdio: 'ignore' });
    const t = await generateSelfSigned({ commonName: 'relay' });
    writeFileSync('/tmp/relay/c.pem', t.certificate); writeFileSync('/tmp/relay/k.pem', t.key);
    const port = 47000 + Math.floor(Math.random() * 1000);
    const relay = spawn(process.execPath, ['/tmp/relay/relay.mjs', String(port), String(pg.port), '/tmp/relay/c.pem', '/tmp/relay/k.pem'], { stdio: 'inherit' });
    const plainPort = port + 1;
    const plain = spawn(process.execPath, ['/tmp/relay/relay-plain.mjs', String(plainPort), String(pg.port)], { stdio: 'inherit' });
    await new Promise((r) => setTimeout(r, 500));
    const run = (p: number, ssl: string, args: string[]) => {
      const out = execFileSync('pgbench', ['-h', '127.0.0.1', '-p', String(p), '-U', pg.user, '-n', '-T', process.env.SECS ?? '5', ...args, 'bench'], { env: { ...env, PGSSLMODE: ssl }, encoding: 'utf8' });
      return `${/tps = ([\d.]+)/.exec(out)![1]} tps, ${/latency average = ([\d.]+)/.exec(out)![1]} ms`;
    };
    for (const args of [['-M', 'prepared', '-c', '1', '-b', 'select-only'], ['-M', 'prepared', '-c', '8', '-j', '2', '-b', 'select-only'], ['-M', 'simple', '-c', '8', '-j', '2', '-b', 'select-only']]) {
      console.log(args.join(' '), '| direct', run(pg.port, 'disable', args), '| relay', run(port, 'require', args), '| plain relay', run(plainPort, 'disable', args), '| direct TLS?', run(pg.port, 'disable', args));
    }
    relay.kill(); plain.kill();
  } finally {
    await pg.stop();
  }
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
