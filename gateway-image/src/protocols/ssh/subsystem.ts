/**
 * Subsystems (sftp; scp rides on sftp in OpenSSH 9+) are bridged byte for byte once policy has
 * allowed them, while an observer reads the SFTP v3 packets in both directions so that every
 * file opened, removed or renamed is audited with its name before the request is forwarded, and
 * its byte counts when it is closed. Contents are not masked here: policy decides who gets sftp.
 * https://datatracker.ietf.org/doc/html/draft-ietf-secsh-filexfer-02
 */
import type { ClientChannel, ServerChannel } from 'ssh2';
import type { ChannelContext } from './channel';

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
const FXP_HANDLE = 102;
const FXP_DATA = 103;
const NAMED_OPS: Record<number, string> = {
  [FXP_OPEN]: 'open',
  [FXP_REMOVE]: 'remove',
  [FXP_MKDIR]: 'mkdir',
  [FXP_RMDIR]: 'rmdir',
  [FXP_RENAME]: 'rename',
  [FXP_SYMLINK]: 'symlink',
};
const PFLAG_READ = 0x1;
const PFLAG_WRITE = 0x2;

/** Cuts a byte stream into SFTP packets (uint32 length, then that many bytes). */
class PacketFramer {
  private buffered: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const packets: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const size = this.buffered.readUInt32BE(0) + 4;
      if (this.buffered.length < size) break;
      packets.push(this.buffered.subarray(0, size));
      this.buffered = this.buffered.subarray(size);
    }
    return packets;
  }
}

/** Reads the SSH string at `offset` of a packet (uint32 length + bytes). */
function sshString(packet: Buffer, offset: number): { value: Buffer; next: number } {
  const len = packet.readUInt32BE(offset);
  return { value: packet.subarray(offset + 4, offset + 4 + len), next: offset + 4 + len };
}

interface OpenFile {
  readonly path: string;
  readonly mode: string;
  bytesRead: number;
  bytesWritten: number;
}

export function bridgeSubsystem(
  ctx: ChannelContext,
  name: string,
  channel: ServerChannel,
  up: ClientChannel,
  done: (body: Record<string, unknown>) => Promise<void>,
): void {
  const audit = (body: Record<string, unknown>) =>
    ctx.hooks.audit({
      type: 'sftp.file',
      principal: ctx.principal,
      connection: ctx.connection,
      session: ctx.session,
      body,
    });
  const fail = (err: unknown) => {
    ctx.hooks.log?.({
      level: 'error',
      message: 'sftp audit failed; channel closed',
      session: ctx.session,
      err,
    });
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

  const forward = async (packet: Buffer) => {
    const type = packet[4]!;
    if (packet.length >= 13 && NAMED_OPS[type]) {
      const id = packet.readUInt32BE(5);
      const first = sshString(packet, 9);
      const path = first.value.toString('utf8');
      const body: Record<string, unknown> = { op: NAMED_OPS[type], path };
      if (type === FXP_OPEN) {
        const flags = packet.readUInt32BE(first.next);
        const mode = `${flags & PFLAG_READ ? 'r' : ''}${flags & PFLAG_WRITE ? 'w' : ''}`;
        body.mode = mode;
        opening.set(id, { path, mode });
      } else if (type === FXP_RENAME || type === FXP_SYMLINK) {
        body.target = sshString(packet, first.next).value.toString('utf8');
      }
      await audit(body);
    } else if (type === FXP_WRITE) {
      const file = files.get(sshString(packet, 9).value.toString('hex'));
      if (file) file.bytesWritten += packet.length - 4 - 1 - 4 - 4 - 8 - 4 - packet.readUInt32BE(9);
    } else if (type === FXP_READ) {
      const file = files.get(sshString(packet, 9).value.toString('hex'));
      if (file) reads.set(packet.readUInt32BE(5), file);
    } else if (type === FXP_CLOSE) {
      const handle = sshString(packet, 9).value.toString('hex');
      const file = files.get(handle);
      if (file) {
        files.delete(handle);
        await audit({
          op: 'close',
          path: file.path,
          mode: file.mode,
          bytesRead: file.bytesRead,
          bytesWritten: file.bytesWritten,
        });
      }
    }
    up.write(packet);
  };

  channel.on('data', (data: Buffer) => {
    clientBytes += data.length;
    if (!observe) return void up.write(data);
    for (const packet of fromClient.push(data)) queue = queue.then(() => forward(packet)).catch(fail);
  });
  up.on('data', (data: Buffer) => {
    upstreamBytes += data.length;
    if (observe) {
      for (const packet of fromUpstream.push(data)) {
        if (packet.length < 9) continue;
        const id = packet.readUInt32BE(5);
        if (packet[4] === FXP_HANDLE && opening.has(id)) {
          files.set(sshString(packet, 9).value.toString('hex'), {
            ...opening.get(id)!,
            bytesRead: 0,
            bytesWritten: 0,
          });
          opening.delete(id);
        } else if (packet[4] === FXP_DATA && reads.has(id)) {
          reads.get(id)!.bytesRead += packet.readUInt32BE(9);
          reads.delete(id);
        } else opening.delete(id);
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
  let exitCode: number | undefined;
  up.on('exit', (code: number | null) => {
    exitCode = code ?? undefined;
  });
  up.once('close', () => {
    if (!channel.destroyed) {
      if (exitCode !== undefined) channel.exit(exitCode);
      channel.end();
    }
    void done({
      outcome: 'completed',
      subsystem: name,
      clientBytes,
      upstreamBytes,
      ...(exitCode === undefined ? {} : { code: exitCode }),
    });
  });
}
