/**
 * The Kubernetes streaming channel protocols over WebSocket (v4.channel.k8s.io and
 * v5.channel.k8s.io): every binary message starts with one byte naming its channel. Pure: bytes
 * in, messages out. v5 adds channel 255, whose one data byte names a channel the sender closed.
 */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** The exec's final Status (JSON), sent once when the process ends. */
export const ERROR = 3;
/** Terminal size (JSON {"Width","Height"}), client to server. */
export const RESIZE = 4;
/** v5: "I closed channel <data[0]>" (a client's end of stdin). */
export const CLOSE = 255;

/** Sub-protocols the gateway relays, most preferred first. */
export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type ChannelProtocol = (typeof CHANNEL_PROTOCOLS)[number];

export function chooseProtocol(offered: string | undefined): ChannelProtocol | undefined {
  const list = new Set((offered ?? '').split(',').map((p) => p.trim()));
  return CHANNEL_PROTOCOLS.find((p) => list.has(p));
}

export interface ChannelMessage {
  readonly channel: number;
  readonly data: Buffer;
}

export function decodeMessage(message: Buffer): ChannelMessage | undefined {
  if (message.length === 0) return undefined;
  return { channel: message[0]!, data: message.subarray(1) };
}

export function encodeMessage(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([Buffer.of(channel), body]);
}

/**
 * The exit code an exec's final Status reports: 0 on Success, the ExitCode cause on
 * NonZeroExitCode, undefined when the process did not run to an exit (or the Status is unreadable).
 */
export function exitCodeOf(statusJson: string): number | undefined {
  try {
    const s = JSON.parse(statusJson) as {
      status?: string;
      reason?: string;
      details?: { causes?: { reason?: string; message?: string }[] };
    };
    if (s.status === 'Success') return 0;
    const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
    return cause?.message !== undefined && /^\d+$/.test(cause.message) ? Number(cause.message) : undefined;
  } catch {
    return undefined;
  }
}
