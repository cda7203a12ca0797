/**
 * Whether a host name or address is this machine: the only place plain HTTP (to an issuer, to the
 * admin API) or a plaintext listener is tolerated. `127.x` counts only as a dotted address, never as
 * the first label of a DNS name (`127.example.com`).
 */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Whether a URL points at this machine (see isLoopbackHost). */
export function isLoopbackUrl(url: URL): boolean {
  return isLoopbackHost(url.hostname.replace(/^\[|\]$/g, ''));
}
