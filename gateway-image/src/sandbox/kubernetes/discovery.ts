/**
 * The discovery documents kubectl reads first (legacy, unaggregated form: kubectl falls back to it
 * when the answer is plain application/json): /version, /api, /api/v1 and an empty /apis.
 */
export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-warden-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-05T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export const API_GROUPS = { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };

/** Resource → kind, namespaced, short names, verbs. */
export const CORE_RESOURCES = {
  namespaces: {
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['get', 'list', 'watch', 'delete'],
  },
  pods: { kind: 'Pod', namespaced: true, shortNames: ['po'], verbs: ['get', 'list', 'watch', 'delete'] },
  configmaps: {
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    verbs: ['get', 'list', 'watch', 'delete'],
  },
  secrets: { kind: 'Secret', namespaced: true, shortNames: [], verbs: ['get', 'list', 'watch', 'delete'] },
} as const;

export type CoreResource = keyof typeof CORE_RESOURCES;

export const CORE_V1 = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    ...Object.entries(CORE_RESOURCES).map(([name, r]) => ({
      name,
      singularName: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    })),
    {
      name: 'pods/exec',
      singularName: '',
      namespaced: true,
      kind: 'PodExecOptions',
      verbs: ['create', 'get'],
    },
    { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
  ],
};
