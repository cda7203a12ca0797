/**
 * Subsystems (sftp; scp rides on sftp in OpenSSH 9+) are bridged byte for byte once policy has
 * allowed them, while an observer reads the SFTP v3 packets in both directions so that every
 * file opened, removed or renamed is audited with its name (masked) before the request is
 * forwarded, and its byte counts when it is closed; a packet that does not parse stops the
 * transfer. Contents are not masked here: policy decides who gets sftp, and a file the connection
 * classifies is never opened, renamed or linked over it (its contents could only leave raw).
 * Removing is decided by policy as `rm` would be.
 * https://datatracker.ietf.org/doc/html/draft-ietf-secsh-filexfer-02
 */

import type { ClientChannel, ServerChannel } from 'ssh2';
import type { SftpFileBody } from '../../audit/bodies';
import { WardenError } from '../../errors';
import type { ShellFacts } from '../../inspect/facts';
import type { Decision } from '../../policy/decision';
import type { ChannelContext, CommandOutcome } from './channel';

// Request and reply codes (SSH_FXP_*), draft-ietf-secsh-filexfer-02 §3.
const FXP_OPEN = 3;
const FXP_CLOSE = 4;
const FXP_READ = 5;
const FXP_WRITE = 6;
const FXP_REMOVE = 13;
const FXP_MKDIR = 14;
const FXP_RMDIR = 15;
const FXP_RENAME = 18;
const FXP_SYMLINK = 20;
const FXP_STATUS = 101;
const FXP_HANDLE = 102;
/** SSH_FX_PERMISSION_DENIED (draft-ietf-secsh-filexfer-02 §7). */
const FX_PERMISSION_DENIED = 3;
const FXP_DATA = 103;
const FXP_EXTENDED = 200;
/** OpenSSH's extensions that rename or link, with the op they are audited as. */
const EXTENDED_OPS: Record<string, string> = {
  'posix-rename@openssh.com': 'rename',
  'hardlink@openssh.com': 'link',
};
const NAMED_OPS: Record<number, string> = {
  [FXP_OPEN]: 'open',
  [FXP_REMOVE]: 'remove',
  [FXP_MKDIR]: 'mkdir',
  [FXP_RMDIR]: 'rmdir',
  [FXP_RENAME]: 'rename',
  [FXP_SYMLINK]: 'symlink',
};
/** What an sftp client is told when it opens, renames or links a classified file. */
const CLASSIFIED_REFUSAL =
  'warden: a classified file cannot be transferred, since its contents cannot be masked; read it through an exec command (cat, head, grep)';
const PFLAG_READ = 0x1;
const PFLAG_WRITE = 0x2;
/** OpenSSH refuses longer SFTP messages (SFTP_MAX_MSG_LENGTH); a longer length is not SFTP. */
export const MAX_SFTP_PACKET_BYTES = 256 * 1024;

/** A packet that is not SFTP v3: the transfer is stopped rather than forwarded unaudited. */
export class SftpPacketError extends WardenError {
  constructor(message: string) {
    super('ERR_SFTP_PACKET', message);
  }
}

/** Cuts a byte stream into SFTP packets (uint32 length, then that many bytes). */
class PacketFramer {
  private buffered: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const packets: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      // Checked before buffering: a bogus length would otherwise hold the stream in memory.
      if (length === 0 || length > MAX_SFTP_PACKET_BYTES) {
        throw new SftpPacketError(`sftp packet length ${length} is out of range`);
      }
      if (this.buffered.length < length + 4) break;
      packets.push(this.buffered.subarray(0, length + 4));
      this.buffered = this.buffered.subarray(length + 4);
    }
    return packets;
  }
}

/** Reads a packet's fields in order from just after its type byte; reading past the end throws. */
class PacketReader {
  private at = 5;
  constructor(private readonly packet: Buffer) {}
  uint32(): number {
    this.need(4);
    this.at += 4;
    return this.packet.readUInt32BE(this.at - 4);
  }
  /** An SSH string (uint32 length + bytes). */
  string(): Buffer {
    const length = this.uint32();
    this.need(length);
    this.at += length;
    return this.packet.subarray(this.at - length, this.at);
  }
  skip(bytes: number): void {
    this.need(bytes);
    this.at += bytes;
  }
  private need(bytes: number): void {
    if (this.at + bytes > this.packet.length) throw new SftpPacketError('sftp packet is truncated');
  }
}

interface OpenFile {
  readonly path: string;
  readonly mode: string;
  bytesRead: number;
  bytesWritten: number;
}

/**
 * Policy on an sftp remove or rmdir, decided as the facts of the program that would do it by exec;
 * the refusal, if policy refuses (a hold cannot wait inside sftp).
 */
function decideDestruction(ctx: ChannelContext, op: string): Extract<Decision, { rule: string }> | undefined {
  const program = op === 'rmdir' ? 'rmdir' : 'rm';
  const why = `sftp ${op} deletes a ${op === 'rmdir' ? 'directory' : 'file'}`;
  const facts: ShellFacts = {
    protocol: 'ssh',
    mode: 'subsystem',
    subsystem: 'sftp',
    programs: [program],
    features: ['destructive'],
    commands: [{ program, features: ['destructive'], notes: { destructive: [why] } }],
  };
  try {
    const d = ctx.hooks.decide(ctx.principal, ctx.connection, facts);
    return d.outcome === 'allow' ? undefined : d;
  } catch (err) {
    ctx.hooks.log?.({ level: 'error', message: 'policy evaluation failed', session: ctx.session, err });
    return { outcome: 'deny', rule: 'default', reason: 'policy could not be evaluated' };
  }
}

/** An SSH_FXP_STATUS reply: uint32 length, type, id, code, message, language tag. */
function statusPacket(id: number, code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const out = Buffer.alloc(4 + 1 + 4 + 4 + 4 + text.length + 4);
  let at = out.writeUInt32BE(out.length - 4, 0);
  at = out.writeUInt8(FXP_STATUS, at);
  at = out.writeUInt32BE(id, at);
  at = out.writeUInt32BE(code, at);
  at = out.writeUInt32BE(text.length, at);
  at += text.copy(out, at);
  out.writeUInt32BE(0, at);
  return out;
}

export function bridgeSubsystem(
  ctx: ChannelContext,
  name: string,
  channel: ServerChannel,
  up: ClientChannel,
  done: (body: CommandOutcome) => Promise<void>,
): void {
  const audit = (file: Omit<SftpFileBody, 'protocol'>) =>
    ctx.hooks.audit({
      type: 'sftp.file',
      principal: ctx.principal,
      connection: ctx.connection,
      session: ctx.session,
      body: { protocol: 'ssh', ...file },
    });
  const isClassified = (...paths: (string | undefined)[]) =>
    paths.some((p) => p !== undefined && ctx.hooks.classifiedFile?.(ctx.connection, p) === true);
  let stopped = false;
  const stop = (err: unknown) => {
    if (stopped) return;
    stopped = true;
    const malformed = err instanceof SftpPacketError;
    ctx.hooks.log?.({
      level: 'error',
      message: malformed ? 'malformed sftp packet; channel closed' : 'sftp audit failed; channel closed',
      session: ctx.session,
      err,
    });
    if (!channel.destroyed) {
      const why = malformed ? 'a malformed sftp packet' : 'the audit log is unavailable';
      channel.stderr.write(`warden: ${why}, so the transfer is stopped\r\n`);
    }
    channel.close();
    up.close();
  };
  const observe = name === 'sftp';
  const opening = new Map<number, { path: string; mode: string }>();
  const files = new Map<string, OpenFile>();
  const reads = new Map<number, OpenFile>();
  let clientBytes = 0;
  let upstreamBytes = 0;
  const fromClient = new PacketFramer();
  const fromUpstream = new PacketFramer();
  // Client requests are forwarded in order, each after its audit event (if it needs one) is durable.
  let queue = Promise.resolve();
  let draining = false;
  const toUpstream = (data: Buffer) => {
    if (stopped || up.write(data) || draining) return;
    draining = true;
    channel.pause();
    up.once('drain', () => {
      draining = false;
      channel.resume();
    });
  };

  const forward = async (packet: Buffer) => {
    let type = packet[4]!;
    const r = new PacketReader(packet);
    let op = NAMED_OPS[type];
    let id = 0;
    if (type === FXP_EXTENDED) {
      id = r.uint32();
      op = EXTENDED_OPS[r.string().toString('latin1')];
      if (op) type = op === 'rename' ? FXP_RENAME : FXP_SYMLINK;
    } else if (op) {
      id = r.uint32();
    }
    if (op) {
      const raw = r.string().toString('utf8');
      // File names are masked as command lines are: an identifier in a name is not kept raw.
      const path = ctx.masker.mask(raw).text;
      let shown: Pick<SftpFileBody, 'mode' | 'target'> = {};
      let target: string | undefined;
      if (type === FXP_OPEN) {
        const flags = r.uint32();
        const mode = `${flags & PFLAG_READ ? 'r' : ''}${flags & PFLAG_WRITE ? 'w' : ''}`;
        shown = { mode };
        opening.set(id, { path, mode });
      } else if (type === FXP_RENAME || type === FXP_SYMLINK) {
        target = r.string().toString('utf8');
        shown = { target: ctx.masker.mask(target).text };
      }
      // A classified file leaves only masked, through exec: sftp would hand it over raw, and a
      // rename or link would give it a name the classification does not know.
      const classified =
        type !== FXP_REMOVE && type !== FXP_MKDIR && type !== FXP_RMDIR && isClassified(raw, target);
      // Deleting over sftp is judged by policy as the same act by exec would be.
      const destroys = type === FXP_REMOVE || type === FXP_RMDIR;
      const decision = destroys && !classified ? decideDestruction(ctx, op) : undefined;
      const refusal = classified
        ? { refused: 'classified-file' as const }
        : decision
          ? { refused: 'policy' as const, decision }
          : {};
      await audit({ op, path, ...shown, ...refusal });
      if (classified || decision) {
        opening.delete(id);
        const text = decision
          ? `warden: denied by policy rule "${decision.rule}": ${decision.reason}`
          : CLASSIFIED_REFUSAL;
        if (!channel.destroyed) channel.write(statusPacket(id, FX_PERMISSION_DENIED, text));
        return;
      }
    } else if (type === FXP_WRITE || type === FXP_READ || type === FXP_CLOSE) {
      const id = r.uint32();
      const handle = r.string().toString('hex');
      const file = files.get(handle);
      if (file && type === FXP_WRITE) {
        r.skip(8); // offset, uint64
        file.bytesWritten += r.string().length;
      } else if (file && type === FXP_READ) {
        reads.set(id, file);
      } else if (file) {
        files.delete(handle);
        const { path, mode, bytesRead, bytesWritten } = file;
        await audit({ op: 'close', path, mode, bytesRead, bytesWritten });
      }
    }
    toUpstream(packet);
  };

  /** Replies: a handle for a file being opened, data for a read being counted. */
  const observeReply = (packet: Buffer) => {
    const r = new PacketReader(packet);
    const id = r.uint32();
    const file = reads.get(id);
    const open = opening.get(id);
    if (packet[4] === FXP_HANDLE && open) {
      files.set(r.string().toString('hex'), { ...open, bytesRead: 0, bytesWritten: 0 });
    } else if (packet[4] === FXP_DATA && file) {
      file.bytesRead += r.string().length;
    }
    opening.delete(id);
    reads.delete(id);
  };

  channel.on('data', (data: Buffer) => {
    if (stopped) return;
    clientBytes += data.length;
    if (!observe) return toUpstream(data);
    try {
      for (const packet of fromClient.push(data)) {
        queue = queue.then(() => (stopped ? undefined : forward(packet))).catch(stop);
      }
    } catch (err) {
      stop(err);
    }
  });
  up.on('data', (data: Buffer) => {
    if (stopped) return;
    upstreamBytes += data.length;
    if (observe) {
      try {
        for (const packet of fromUpstream.push(data)) observeReply(packet);
      } catch (err) {
        return stop(err);
      }
    }
    if (!channel.write(data)) {
      up.pause();
      channel.once('drain', () => up.resume());
    }
  });
  up.stderr.on('data', (d: Buffer) => channel.stderr.write(d));
  channel.on('end', () => void queue.then(() => up.end()));
  channel.on('close', () => up.close());
  // As for exec (channel.ts): the exit status is read from 'close', which cannot be missed.
  up.once('close', (code?: number | null) => {
    const exitCode = typeof code === 'number' ? code : undefined;
    if (!channel.destroyed) {
      if (exitCode !== undefined) channel.exit(exitCode);
      channel.end();
    }
    void done({
      outcome: stopped ? 'stopped' : 'completed',
      subsystem: name,
      clientBytes,
      upstreamBytes,
      ...(exitCode === undefined ? {} : { code: exitCode }),
    });
  });
}
