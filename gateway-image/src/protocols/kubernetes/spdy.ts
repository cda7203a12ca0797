/**
 * SPDY/3.1 upgrades (kubectl before 1.30, and kubectl's fallback when a WebSocket exec fails) are
 * refused: the gateway relays exec over WebSocket only. kubectl retries a refused WebSocket exec
 * over SPDY and prints only the second error, so the SPDY refusal repeats the reason the WebSocket
 * attempt got (remembered briefly per principal and request), rather than hide it.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '../../identity/principal';
import { authenticateRequest, type GateContext, Refusal } from './gate';
import { refuseUpgrade, status } from './status';

const REMEMBER_MS = 30_000;
const MAX_REMEMBERED = 1000;

export interface RefusalMemory {
  remember(req: IncomingMessage, refusal: Refusal): void;
  recall(req: IncomingMessage): Refusal | undefined;
}

/** Keyed by the bearer token's hash and the request target: only the same caller's retry matches. */
export function refusalMemory(): RefusalMemory {
  const map = new Map<string, { refusal: Refusal; until: number }>();
  const key = (req: IncomingMessage) =>
    createHash('sha256')
      .update(`${req.headers.authorization ?? ''}\n${req.url ?? ''}`)
      .digest('hex');
  return {
    remember(req, refusal) {
      const now = Date.now();
      for (const [k, v] of map) if (v.until < now || map.size >= MAX_REMEMBERED) map.delete(k);
      map.set(key(req), { refusal, until: now + REMEMBER_MS });
    },
    recall(req) {
      const hit = map.get(key(req));
      return hit && hit.until >= Date.now() ? hit.refusal : undefined;
    },
  };
}

export async function refuseSpdy(
  ctx: GateContext,
  memory: RefusalMemory,
  req: IncomingMessage,
  socket: Duplex,
): Promise<void> {
  const session = 'spdy';
  let principal: Principal;
  try {
    principal = await authenticateRequest(ctx.hooks, req, session);
  } catch (err) {
    return refuseUpgrade(
      socket,
      err instanceof Refusal ? err.status : status(401, 'Unauthorized', 'not authenticated'),
    );
  }
  const earlier = memory.recall(req);
  const s =
    earlier?.status ??
    status(
      400,
      'BadRequest',
      'exec, attach and port-forward over SPDY are refused: the gateway relays exec over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io); use kubectl 1.30 or later',
      'ERR_SPDY_REFUSED',
    );
  try {
    await ctx.hooks.audit({
      type: 'request.refused',
      principal,
      connection: null,
      session: 'spdy',
      body: { protocol: 'kubernetes', method: req.method ?? '', reason: 'ERR_SPDY_REFUSED' },
    });
  } catch (err) {
    ctx.hooks.log?.({ level: 'error', message: 'audit append failed', err });
  }
  refuseUpgrade(socket, s);
}
