/**
 * Every socket a listener accepted, until it closes. Closing a server only stops new connections;
 * a socket still in its TLS handshake, or one that connected and never spoke, keeps `close()`
 * waiting. At shutdown, once sessions have ended their clients properly, the rest are cut.
 */
import type { Server, Socket } from 'node:net';

export interface TrackedSockets {
  /** Destroys every accepted socket still open. */
  destroyAll(): void;
}

/** Tracks `server`'s sockets from the moment they connect (TLS servers included: raw sockets). */
export function trackSockets(server: Server): TrackedSockets {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    destroyAll() {
      for (const socket of open) socket.destroy();
    },
  };
}
