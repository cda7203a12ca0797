import type { KubernetesFacts } from '../../gateway-image/src/inspect/facts';
import {
  inspectKubernetesRequest,
  KubernetesInspectError,
  shellQuote,
} from '../../gateway-image/src/inspect/kubernetes';
import { inspectExec } from '../../gateway-image/src/inspect/ssh';

const options = {
  isPhiNamespace: (ns: string) => ns === 'clinical',
  anyPhiNamespace: true,
  extraApiGroups: ['example.org'],
  inspectCommand: (line: string) => inspectExec(line),
};

function inspect(
  method: string,
  target: string,
  o: { headers?: string[]; upgrade?: boolean } = {},
): KubernetesFacts {
  const [path, search = ''] = target.split('?');
  return inspectKubernetesRequest(
    {
      method,
      segments: path!.split('/').filter(Boolean).map(decodeURIComponent),
      path: path!,
      query: new URLSearchParams(search),
      headerNames: o.headers ?? ['accept', 'user-agent'],
      upgrade: o.upgrade ?? false,
    },
    options,
  );
}

function refused(method: string, target: string, o: { headers?: string[]; upgrade?: boolean } = {}): string {
  try {
    inspect(method, target, o);
  } catch (err) {
    expect(err).toBeInstanceOf(KubernetesInspectError);
    return (err as KubernetesInspectError).detail;
  }
  throw new Error(`${method} ${target} was not refused`);
}

describe('Kubernetes request inspection', () => {
  it.each([
    ['GET', '/api/v1/namespaces/clinical/pods', 'list', 'pods', undefined, 'clinical', undefined],
    ['GET', '/api/v1/namespaces/clinical/pods/p-0', 'get', 'pods', undefined, 'clinical', 'p-0'],
    ['GET', '/api/v1/namespaces/clinical/pods?watch=true', 'watch', 'pods', undefined, 'clinical', undefined],
    [
      'GET',
      '/api/v1/namespaces/clinical/secrets?watch=1',
      'watch',
      'secrets',
      undefined,
      'clinical',
      undefined,
    ],
    ['GET', '/api/v1/namespaces/clinical/pods/p-0/log', 'get', 'pods', 'log', 'clinical', 'p-0'],
    ['DELETE', '/api/v1/namespaces/clinical/pods/p-0', 'delete', 'pods', undefined, 'clinical', 'p-0'],
    [
      'DELETE',
      '/api/v1/namespaces/clinical/pods',
      'deletecollection',
      'pods',
      undefined,
      'clinical',
      undefined,
    ],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/clinical/deployments/ehr/scale',
      'patch',
      'deployments',
      'scale',
      'clinical',
      'ehr',
    ],
    [
      'PUT',
      '/apis/apps/v1/namespaces/clinical/deployments/ehr',
      'update',
      'deployments',
      undefined,
      'clinical',
      'ehr',
    ],
    [
      'POST',
      '/api/v1/namespaces/clinical/serviceaccounts/default/token',
      'create',
      'serviceaccounts',
      'token',
      'clinical',
      'default',
    ],
    ['GET', '/api/v1/secrets', 'list', 'secrets', undefined, undefined, undefined],
    [
      'GET',
      '/apis/example.org/v1/namespaces/tools/widgets',
      'list',
      'widgets',
      undefined,
      'tools',
      undefined,
    ],
  ])('%s %s is %s', (method, target, verb, resource, subresource, namespace, name) => {
    const f = inspect(method, target);
    expect(f).toMatchObject({ protocol: 'kubernetes', verb, resource, discovery: false });
    expect(f.subresource).toBe(subresource);
    expect(f.namespace).toBe(namespace);
    expect(f.name).toBe(name);
  });

  it('reads discovery paths as get, and nothing else on them', () => {
    for (const p of [
      '/api',
      '/apis',
      '/version',
      '/api/v1',
      '/apis/apps',
      '/apis/apps/v1',
      '/openapi/v2',
      '/openapi/v3',
      '/openapi/v3/apis/apps/v1',
    ]) {
      expect(inspect('GET', p)).toMatchObject({ verb: 'get', discovery: true, phiNamespace: false });
    }
    expect(refused('POST', '/api')).toContain('not served on discovery paths');
  });

  it('marks PHI namespaces, requests across namespaces, and a PHI namespace object itself', () => {
    expect(inspect('GET', '/api/v1/namespaces/clinical/pods').phiNamespace).toBe(true);
    expect(inspect('GET', '/api/v1/namespaces/tools/pods').phiNamespace).toBe(false);
    expect(inspect('GET', '/api/v1/pods').phiNamespace).toBe(true);
    expect(inspect('DELETE', '/api/v1/namespaces/clinical').phiNamespace).toBe(true);
    expect(inspect('DELETE', '/api/v1/namespaces/tools').phiNamespace).toBe(false);
    expect(inspect('GET', '/api/v1/nodes').phiNamespace).toBe(false);
  });

  it('reads an exec as create on pods/exec, its argv through the SSH inspector', () => {
    const f = inspect(
      'GET',
      '/api/v1/namespaces/clinical/pods/p-0/exec?command=cat&command=/data/patients.csv&container=c&stdout=true&tty=false',
      { upgrade: true },
    );
    expect(f).toMatchObject({
      verb: 'create',
      subresource: 'exec',
      container: 'c',
      stdin: false,
      tty: false,
    });
    expect(f.command).toMatchObject({
      programs: ['cat'],
      commandLine: 'cat /data/patients.csv',
      features: [],
    });
    // Each argument is one word: what a shell would split or expand stays quoted.
    const sh = inspect(
      'GET',
      `/api/v1/namespaces/clinical/pods/p-0/exec?command=sh&command=-c&command=${encodeURIComponent('$X /data')}`,
      { upgrade: true },
    );
    expect(sh.command?.features).toContain('expansion');
    const semi = inspect(
      'GET',
      `/api/v1/namespaces/clinical/pods/p-0/exec?command=${encodeURIComponent('ls; rm -rf /')}`,
      { upgrade: true },
    );
    // One argv word is one program name, never a sequence (it names no file that exists).
    expect(semi.command?.programs).toHaveLength(1);
    expect(semi.command?.programs).not.toContain('rm');
    expect(semi.command?.features).toEqual(['unvetted']);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it.each([
    [
      'GET',
      '/api/v1/namespaces/x/pods/p/portforward?ports=80',
      { upgrade: true },
      'port forwarding is refused',
    ],
    ['GET', '/api/v1/namespaces/x/pods/p/attach?stdout=true', { upgrade: true }, 'kubectl attach is refused'],
    ['GET', '/api/v1/namespaces/x/pods/p/proxy', {}, 'the proxy subresource is refused'],
    ['GET', '/api/v1/namespaces/x/services/s/proxy/admin', {}, 'proxy-style paths'],
    ['GET', '/api/v1/nodes/n/proxy/logs/', {}, 'proxy-style paths'],
    ['GET', '/api/v1/watch/secrets', {}, 'deprecated /watch/'],
    ['GET', '/api/v1/proxy/namespaces/x/pods/p', {}, 'deprecated /proxy/'],
    ['GET', '/apis/evil.example.com/v1/things', {}, 'is not one this connection serves'],
    ['GET', '/healthz', {}, 'not a Kubernetes API resource path'],
    ['GET', '/metrics', {}, 'not a Kubernetes API resource path'],
    ['GET', '/logs/kube-apiserver.log', {}, 'not a Kubernetes API resource path'],
    ['GET', '/api/v2/pods', {}, 'not a Kubernetes API resource path'],
    ['GET', '/api/v1/namespaces/x/pods/p/frobnicate', {}, 'is not one the gateway can inspect'],
    ['GET', '/api/v1/namespaces/x/pods/p/exec?command=ls', {}, 'exec is served over WebSocket only'],
    ['GET', '/api/v1/namespaces/x/pods/p/exec', { upgrade: true }, 'exec names no command'],
    ['GET', '/api/v1/namespaces/x/pods', { upgrade: true }, 'only exec is served as a streaming upgrade'],
    ['HEAD', '/api/v1/namespaces/x/pods', {}, 'the method HEAD is not served'],
    ['OPTIONS', '/api/v1/namespaces/x/pods', {}, 'the method OPTIONS is not served'],
    [
      'GET',
      '/api/v1/namespaces/x/pods',
      { headers: ['impersonate-user'] },
      'impersonation (impersonate-user) is refused',
    ],
    ['GET', '/api/v1/namespaces/x/pods', { headers: ['impersonate-group'] }, 'impersonation'],
    ['GET', '/api/v1/namespaces/x/pods', { headers: ['impersonate-extra-scopes'] }, 'impersonation'],
    ['GET', '/api/v1/namespaces/x/pods/a..b%0a', {}, 'a name in the path is not valid'],
  ])('refuses %s %s', (method, target, o, why) => {
    expect(refused(method, target, o as { headers?: string[]; upgrade?: boolean })).toContain(why);
  });
});
