/**
 * One SSH session channel (RFC 4254 §6): pty and window-change requests are remembered, then one
 * exec, shell or subsystem request passes the gate and is bridged to an upstream channel with
 * output masked and the session recorded. Agent and X11 forwarding and env are refused.
 */
import type { ClientChannel, PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import type { CommandResultBody } from '../../audit/bodies';
import type { ShellFacts } from '../../inspect/facts';
import { AsciicastWriter } from '../../recording/asciicast';
import type { OperationTrace } from '../../tracing';
import { gateRequest, type SshGateContext } from './gate';
import type { RecordingTarget, SshChannelRequest } from './hooks';
import { MaskStream } from './mask-stream';
import { bridgeSubsystem } from './subsystem';
import { type SshUpstream, SshUpstreamError, UPSTREAM_FAILURE_TEXT } from './upstream';

/** Exit status for requests the gateway refuses (POSIX "found but cannot execute"). */
export const EXIT_REFUSED = 126;

export interface ChannelContext extends SshGateContext {
  readonly channel: number;
  /** The session's upstream connection, opened on first use. */
  upstream(): Promise<SshUpstream>;
  refused(kind: string): void;
  /** An accepted channel, so the session can say why before it ends them all. */
  accepted(channel: ServerChannel): void;
  /** Release a partial output line in a shell after this much quiet. */
  readonly idleFlushMs: number;
}

export function handleSession(ctx: ChannelContext, session: Session): void {
  let pty: PseudoTtyInfo | undefined;
  let upstream: ClientChannel | undefined;
  let recorder: AsciicastWriter | undefined;
  let started = false;

  session.on('pty', (accept, _reject, info) => {
    pty = info;
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (pty) pty = { ...pty, cols: info.cols, rows: info.rows, width: info.width, height: info.height };
    upstream?.setWindow(info.rows, info.cols, info.height, info.width);
    recorder?.resize(info.cols, info.rows);
    accept?.();
  });
  session.on('signal', (accept, _reject, info) => {
    upstream?.signal(info.name);
    accept?.();
  });
  for (const kind of ['x11', 'auth-agent'] as const) {
    session.on(kind, (_accept: unknown, reject?: () => void) => {
      ctx.refused(kind);
      reject?.();
    });
  }
  // Variables could change what upstream programs do (LD_PRELOAD, BASH_ENV); OpenSSH sends LANG
  // on every session, so refusing them is routine and not audited.
  session.on('env', (_accept, reject) => reject?.());

  const start = (request: SshChannelRequest, accept: () => ServerChannel, reject?: () => void) => {
    // One command per channel (RFC 4254 §6.5); a second request on the same channel is refused.
    if (started) return reject?.();
    started = true;
    const channel = accept();
    ctx.accepted(channel);
    void run(ctx, request, channel, pty, {
      setUpstream: (c) => {
        upstream = c;
      },
      setRecorder: (r) => {
        recorder = r;
      },
    }).catch((err: unknown) => {
      ctx.hooks.log?.({ level: 'error', message: 'ssh channel failed', session: ctx.session, err });
      refuse(channel, 'internal error; the command was not completed');
    });
  };
  session.on('exec', (accept, reject, info) =>
    start({ mode: 'exec', command: info.command }, accept, reject),
  );
  session.on('shell', (accept, reject) => start({ mode: 'shell' }, accept, reject));
  session.on('subsystem', (accept, reject, info) =>
    start({ mode: 'subsystem', name: info.name }, accept, reject),
  );
}

/** Ends a channel with one `warden:` line on stderr and EXIT_REFUSED. */
export function refuse(channel: ServerChannel, message: string): void {
  if (channel.destroyed) return;
  channel.stderr.write(`warden: ${message}\r\n`);
  channel.exit(EXIT_REFUSED);
  channel.end();
}

interface Wiring {
  setUpstream(c: ClientChannel): void;
  setRecorder(r: AsciicastWriter): void;
}

async function run(
  ctx: ChannelContext,
  request: SshChannelRequest,
  channel: ServerChannel,
  pty: PseudoTtyInfo | undefined,
  wiring: Wiring,
): Promise<void> {
  const trace = ctx.hooks.tracer?.start('ssh.command', {
    'warden.connection': ctx.connection,
    'warden.kind': request.mode,
  });
  if (!trace) return relay(ctx, request, channel, pty, wiring, undefined);
  // A command that runs is traced to its exit; anything else ends its span when relay returns.
  const exited = { handedOver: false };
  try {
    await relay(ctx, request, channel, pty, wiring, { trace, exited });
  } catch (err) {
    if (!exited.handedOver) trace.end(undefined, true);
    throw err;
  }
  if (!exited.handedOver) trace.end();
}

interface TracedCommand {
  readonly trace: OperationTrace;
  /** Set once the upstream command runs: its exit ends the span. */
  readonly exited: { handedOver: boolean };
}

async function relay(
  ctx: ChannelContext,
  request: SshChannelRequest,
  channel: ServerChannel,
  pty: PseudoTtyInfo | undefined,
  wiring: Wiring,
  traced: TracedCommand | undefined,
): Promise<void> {
  const verdict = await gateRequest(ctx, request, traced?.trace);
  if (!verdict.allowed) return refuse(channel, verdict.message);
  traced?.trace.stage('upstream');

  let upstream: SshUpstream;
  try {
    upstream = await ctx.upstream();
  } catch (err) {
    ctx.hooks.log?.({ level: 'warn', message: 'ssh upstream failed', session: ctx.session, err });
    const text = err instanceof SshUpstreamError ? UPSTREAM_FAILURE_TEXT[err.failure] : 'upstream failed';
    await result(ctx, request, {
      outcome: 'upstream-error',
      ...(err instanceof SshUpstreamError ? { failure: err.failure } : {}),
    });
    return refuse(channel, text);
  }

  if (request.mode === 'subsystem') {
    const up = await upstream.subsystem(request.name);
    wiring.setUpstream(up);
    return bridgeSubsystem(ctx, request.name, channel, up, (body) => result(ctx, request, body));
  }

  const masking = request.mode === 'exec' ? await outputMasking(ctx, verdict.facts, upstream) : undefined;
  if (masking && 'refused' in masking) {
    await result(ctx, request, { outcome: 'masking-unavailable', failure: masking.failure });
    return refuse(channel, masking.refused);
  }
  const masker = masking?.masker ?? ctx.masker;
  // A shell reading stdin runs what it is sent, as an interactive shell does: record it as input.
  const recordsInput = request.mode === 'shell' || verdict.facts.features.includes('shell');

  const command = request.mode === 'exec' ? ctx.masker.mask(request.command).text : undefined;
  // A client without a pty (plain `ssh host cmd`) gets the terminal size asciinema assumes.
  const width = pty?.cols || 80;
  const height = pty?.rows || 24;
  let target: RecordingTarget;
  try {
    target = await ctx.hooks.record({
      principal: ctx.principal,
      connection: ctx.connection,
      session: ctx.session,
      channel: ctx.channel,
      mode: request.mode,
      width,
      height,
      ...(command === undefined ? {} : { command }),
      ...(pty?.term ? { term: pty.term } : {}),
    });
  } catch (err) {
    ctx.hooks.log?.({ level: 'error', message: 'recording unavailable', session: ctx.session, err });
    return refuse(channel, 'the session recorder is unavailable, so the command is refused');
  }
  const recorder = new AsciicastWriter(
    {
      width,
      height,
      ...(command === undefined ? {} : { command }),
      ...(pty?.term ? { env: { TERM: pty.term } } : {}),
    },
    (line) => target.write(line),
  );
  wiring.setRecorder(recorder);

  const ptyOptions = pty
    ? { term: pty.term, cols: pty.cols, rows: pty.rows, width: pty.width, height: pty.height }
    : undefined;
  let up: ClientChannel;
  try {
    up =
      request.mode === 'exec'
        ? await upstream.exec(request.command, ptyOptions)
        : await upstream.shell(ptyOptions ?? false);
  } catch (err) {
    // The recording holds only its header; close it so its file is not left open.
    void target.close().catch(() => {});
    throw err;
  }
  wiring.setUpstream(up);
  const began = Date.now();

  // Client → upstream: stdin, with backpressure; a shell's keystrokes are recorded as input.
  channel.on('data', (data: Buffer) => {
    if (recordsInput) recorder.input(data.toString('utf8'));
    if (!up.write(data)) {
      channel.pause();
      up.once('drain', () => channel.resume());
    }
  });
  channel.on('end', () => up.end());
  channel.on('close', () => up.close());

  // Upstream → client: stdout and stderr through their own maskers, then to the client.
  const idleFlushMs = request.mode === 'shell' ? ctx.idleFlushMs : undefined;
  const pipeOut = (source: NodeJS.ReadableStream, sink: NodeJS.WritableStream) =>
    new MaskStream(
      masker,
      (masked) => {
        recorder.output(masked);
        if (!sink.write(masked)) {
          source.pause();
          sink.once('drain', () => source.resume());
        }
      },
      idleFlushMs === undefined ? {} : { idleFlushMs },
    );
  const stdout = pipeOut(up, channel);
  const stderr = pipeOut(up.stderr, channel.stderr);
  up.on('data', (d: Buffer) => stdout.push(d));
  up.stderr.on('data', (d: Buffer) => stderr.push(d));

  // The exit status comes with 'close' (ssh2 keeps it from the exit-status request): an 'exit'
  // listener added here could miss it, since the reply to exec, the output, the exit status and the
  // channel close can all arrive in one read, before this code runs.
  if (traced) traced.exited.handedOver = true;
  up.once('close', (code?: number | null, signal?: string) => {
    traced?.trace.end();
    const exit: { code?: number; signal?: string } =
      typeof code === 'number' ? { code } : code === null ? { signal: signal ?? 'KILL' } : {};
    stdout.end();
    stderr.end();
    recorder.marker(exit.code === undefined ? `signal ${exit.signal ?? 'none'}` : `exit ${exit.code}`);
    recorder.end();
    if (!channel.destroyed) {
      if (exit.code !== undefined) channel.exit(exit.code);
      else if (exit.signal) channel.exit(exit.signal, false, '');
      channel.end();
    }
    const counts: Record<string, number> = { ...stdout.counts };
    for (const [k, n] of Object.entries(stderr.counts)) counts[k] = (counts[k] ?? 0) + n;
    void target
      .close()
      .catch((err: unknown) =>
        ctx.hooks.log?.({ level: 'error', message: 'recording close failed', session: ctx.session, err }),
      );
    void result(
      ctx,
      request,
      {
        outcome: 'completed',
        ...exit,
        stdoutBytes: stdout.bytesIn,
        stderrBytes: stderr.bytesIn,
        masked: counts,
        durationMs: Date.now() - began,
      },
      true,
    );
  });
}

/** What a `command.result` says of how the command went (the channel adds protocol, mode and channel). */
export type CommandOutcome = Omit<CommandResultBody, 'protocol' | 'mode' | 'channel'>;

/** Limits of the gateway's own commands on the upstream (reading a CSV header). */
const SIDE_COMMAND_LIMITS = { maxBytes: 64 * 1024, timeoutMs: 10_000 };

/** The exec's own output masking, if the gateway has one for it; a failure refuses the command. */
async function outputMasking(ctx: ChannelContext, facts: ShellFacts, upstream: SshUpstream) {
  if (!ctx.hooks.outputMasker) return undefined;
  try {
    return await ctx.hooks.outputMasker({
      principal: ctx.principal,
      connection: ctx.connection,
      session: ctx.session,
      facts,
      run: (command) => upstream.capture(command, SIDE_COMMAND_LIMITS),
    });
  } catch (err) {
    ctx.hooks.log?.({ level: 'error', message: 'ssh output masking failed', session: ctx.session, err });
    return { refused: 'output masking is unavailable, so the command is refused', failure: 'internal' };
  }
}

/**
 * The outcome event; it follows output already sent, so a failure here is logged, not fatal. A
 * completed command's result is `deferred`: nothing waits on it, so it rides with the next durable
 * write (the next command's attempt) instead of an fsync of its own.
 */
async function result(
  ctx: ChannelContext,
  request: SshChannelRequest,
  body: CommandOutcome,
  deferred = false,
): Promise<void> {
  try {
    await ctx.hooks.audit({
      type: 'command.result',
      principal: ctx.principal,
      connection: ctx.connection,
      session: ctx.session,
      ...(deferred ? { deferred } : {}),
      body: { protocol: 'ssh', mode: request.mode, channel: ctx.channel, ...body },
    });
  } catch (err) {
    ctx.hooks.log?.({ level: 'error', message: 'audit of command result failed', session: ctx.session, err });
  }
}
