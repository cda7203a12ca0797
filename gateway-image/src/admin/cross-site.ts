/**
 * State changes a browser would make on behalf of another site. The console's session cookie is
 * SameSite=Strict and every state change must echo the session's CSRF token, so another site can
 * neither send the cookie nor know the token; this is a third lock that holds should either ever
 * leak: a state-changing request the browser says comes from elsewhere is refused, whatever it
 * carries. Browsers mark every request with Sec-Fetch-Site (pages cannot forge it) and
 * state-changing ones with Origin; clients that are not browsers (the CLI, automation with a
 * bearer token) send neither and are unaffected.
 * https://fetch.spec.whatwg.org/#sec-fetch-site-header
 */
import type { IncomingMessage } from 'node:http';
import { HttpProblem } from './problem';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Throws a 403 problem when a state-changing request comes from another site. */
export function refuseCrossSite(req: IncomingMessage): void {
  if (SAFE_METHODS.has((req.method ?? 'GET').toUpperCase())) return;
  const site = req.headers['sec-fetch-site'];
  if (site === 'same-origin' || site === 'none') return;
  // A sibling subdomain ("same-site") is another application's code all the same.
  if (site === 'cross-site' || site === 'same-site' || !sameOrigin(req)) {
    throw new HttpProblem(403, 'ERR_CROSS_SITE', 'requests from another site cannot change anything here');
  }
}

/** No Origin (not a browser, or a browser that did not say) or an Origin naming this host. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    // "null" (a sandboxed frame, a file: page) or garbage: not this site.
    return false;
  }
}
