// @kubernetes/client-node (ESM-only) as a second real client, run as its own Node process.
// argv: server caFile token → prints one JSON line of what each operation returned.
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';

const [server, caFile, token] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'gw', server, caFile }],
  users: [{ name: 'u', token }],
  contexts: [{ name: 'c', cluster: 'gw', user: 'u' }],
  currentContext: 'c',
});
const core = kc.makeApiClient(k8s.CoreV1Api);
const out = {};
const pods = await core.listNamespacedPod({ namespace: 'tools' });
out.pods = pods.items.map((p) => p.metadata.name);
out.log = await core.readNamespacedPodLog({ name: 'ehr-export-0', namespace: 'clinical' });
try {
  await core.readNamespacedSecret({ name: 'ehr-db', namespace: 'clinical' });
  out.secret = 'read';
} catch (err) {
  out.secret = { code: err.code, body: String(err.body) };
}
let stdout = '';
const sink = new Writable({
  write(chunk, _encoding, callback) {
    stdout += chunk;
    callback();
  },
});
out.exec = await new Promise((resolve, reject) => {
  new k8s.Exec(kc)
    .exec('tools', 'toolbox-0', 'toolbox', ['cat', '/etc/motd'], sink, sink, null, false, (status) =>
      resolve({ status: status.status, stdout }),
    )
    .then((ws) => ws.on('close', () => resolve({ closed: true, stdout })))
    .catch(reject);
});
process.stdout.write(`${JSON.stringify(out)}\n`);
