/**
 * How the long-running commands (`warden gateway`, `warden dev`) end: on SIGINT, SIGTERM or SIGHUP
 * they stop what they started, within a deadline. A second signal, or the deadline, forces the
 * stop: a sandbox or a gateway that ignores Ctrl-C is worse than one that stops abruptly (the
 * audit log is append-only and fsync'd per batch, so an abrupt stop loses nothing recorded).
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Resolves with the name of the first stop signal. */
export function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of STOP_SIGNALS) process.once(signal, () => resolve(signal));
  });
}

/**
 * Runs `stop`; resolves 'stopped' when it completes, or 'forced' after `deadlineMs` or at another
 * stop signal, whichever comes first (stop keeps running in the background then).
 */
export async function stopWithin(
  stop: () => Promise<void>,
  deadlineMs: number,
): Promise<'stopped' | 'forced'> {
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<'forced'>((resolve) => {
    timer = setTimeout(() => resolve('forced'), deadlineMs);
    timer.unref();
    void stopSignal().then(() => resolve('forced'));
  });
  try {
    return await Promise.race([stop().then(() => 'stopped' as const), forced]);
  } finally {
    clearTimeout(timer);
  }
}
