/**
 * asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a JSON header line, then one
 * `[seconds, code, data]` line per event. Stock asciinema players replay it; we write input ("i")
 * as well as output ("o") so a reviewer sees what was typed, and resizes ("r").
 */

export interface AsciicastHeader {
  readonly width: number;
  readonly height: number;
  /** Start time, Unix seconds. @default now */
  readonly timestamp?: number;
  readonly command?: string;
  readonly title?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export type AsciicastEventCode = 'o' | 'i' | 'r' | 'm';

export interface AsciicastEvent {
  readonly time: number;
  readonly code: AsciicastEventCode;
  readonly data: string;
}

/** Turns session events into asciicast v2 lines; `write` receives each line, newline included. */
export class AsciicastWriter {
  private readonly started = process.hrtime.bigint();
  private closed = false;

  constructor(
    header: AsciicastHeader,
    private readonly write: (line: string) => void,
  ) {
    const { width, height, timestamp, ...rest } = header;
    const head = {
      version: 2,
      width,
      height,
      timestamp: timestamp ?? Math.floor(Date.now() / 1000),
      ...rest,
    };
    this.write(`${JSON.stringify(head)}\n`);
  }

  output(data: string): void {
    this.event('o', data);
  }

  input(data: string): void {
    this.event('i', data);
  }

  resize(width: number, height: number): void {
    this.event('r', `${width}x${height}`);
  }

  /** A marker, e.g. the exit status or why the session ended. */
  marker(label: string): void {
    this.event('m', label);
  }

  /** Later events are dropped: a recording never grows after its session is over. */
  end(): void {
    this.closed = true;
  }

  private event(code: AsciicastEventCode, data: string): void {
    if (this.closed || data.length === 0) return;
    // Microsecond resolution, as asciinema itself writes (6 decimals).
    const seconds = Number((process.hrtime.bigint() - this.started) / 1000n) / 1e6;
    this.write(`${JSON.stringify([seconds, code, data])}\n`);
  }
}

export interface ParsedAsciicast {
  readonly header: AsciicastHeader & { readonly version: 2 };
  readonly events: readonly AsciicastEvent[];
}

/** Reads a recording back (replay, tests). Throws on anything that is not asciicast v2. */
export function parseAsciicast(text: string): ParsedAsciicast {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('empty recording');
  const header = JSON.parse(lines[0]!) as ParsedAsciicast['header'];
  if (header.version !== 2 || !Number.isInteger(header.width) || !Number.isInteger(header.height)) {
    throw new Error('not an asciicast v2 header');
  }
  let last = 0;
  const events = lines.slice(1).map((line, i) => {
    const e = JSON.parse(line) as unknown;
    if (
      !Array.isArray(e) ||
      e.length !== 3 ||
      typeof e[0] !== 'number' ||
      e[0] < last ||
      !['o', 'i', 'r', 'm'].includes(e[1]) ||
      typeof e[2] !== 'string'
    ) {
      throw new Error(`bad asciicast event on line ${i + 2}`);
    }
    last = e[0];
    return { time: e[0], code: e[1] as AsciicastEventCode, data: e[2] };
  });
  return { header, events };
}

/** What a terminal showed: every output event concatenated (what a player renders, without timing). */
export function replayOutput(recording: ParsedAsciicast): string {
  return recording.events
    .filter((e) => e.code === 'o')
    .map((e) => e.data)
    .join('');
}
