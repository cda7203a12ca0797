/**
 * What the SSH adapter needs from the rest of the gateway, as one narrow interface the lead wires
 * to identity, access, inspect, policy, approvals, audit, masking, recording and secrets. The
 * adapter imports none of those services: it owns the SSH connection and calls these hooks at
 * named points of the session (auth → access → channel request → inspect → decide → approval →
 * audit → upstream → mask → record).
 */
import type { SshConnectionConfig } from '../../config/connections';
import type { Principal } from '../../identity/principal';
import type { ShellFacts } from '../../inspect/facts';
import type { TextMasker } from '../../masking/text-masker';
import type { GateAuditInput, GateHooks } from '../gate';
import type { LiveSession, LiveSessionInfo } from '../live-session';

export type SshAccessResult =
  | {
      readonly allowed: true;
      /** When a just-in-time grant ends; the connection is closed then. @default no expiry */
      readonly expiresAt?: Date;
      /** Aborted when the grant is revoked: the connection is closed then. @default never */
      readonly revoked?: AbortSignal;
    }
  | { readonly allowed: false; readonly reason: string };

export type SshAuditType =
  | 'session.start'
  | 'session.refused'
  | 'session.end'
  /** A channel request that is never forwarded: port, agent and X11 forwarding, env. */
  | 'channel.refused'
  /** An exec, shell or subsystem request, with its facts and decision; before anything is forwarded. */
  | 'command.attempt'
  /** Exit status, byte counts and masking counts of a forwarded exec, shell or subsystem. */
  | 'command.result'
  /** One file touched over sftp: operation, path and byte counts. */
  | 'sftp.file';

export type SshAuditInput = GateAuditInput<SshAuditType>;

/** What the client asked a session channel to run. */
export type SshChannelRequest =
  | { readonly mode: 'exec'; readonly command: string }
  | { readonly mode: 'shell' }
  | { readonly mode: 'subsystem'; readonly name: string };

export interface SshOutputMaskRequest {
  readonly principal: Principal;
  readonly connection: string;
  readonly session: string;
  readonly facts: ShellFacts;
  run(command: string): Promise<string>;
}

/** The exec's masker (undefined: the session masker), or why its output cannot be masked. */
export type SshOutputMasking =
  | { readonly masker: TextMasker | undefined }
  | { readonly refused: string; readonly failure: string };

/** Describes one recording: a shell, or one exec, on one channel. */
export interface SshRecordingMeta {
  readonly principal: Principal;
  readonly connection: string;
  readonly session: string;
  /** Channel number within the session, so several channels of one session do not collide. */
  readonly channel: number;
  readonly mode: 'exec' | 'shell';
  /** The exec command line, masked by the principal's masker. */
  readonly command?: string;
  readonly width: number;
  readonly height: number;
  readonly term?: string;
}

/** Where a recording's lines go (a file, an object store upload); the adapter writes asciicast v2. */
export interface RecordingTarget {
  /** One asciicast line, newline included. */
  write(line: string): void;
  /** Resolves when the recording is durable. */
  close(): Promise<void>;
}

export interface SshSessionHooks extends GateHooks<ShellFacts, SshAuditInput> {
  /** Verifies the token sent as the SSH password. Throws AuthenticationError (logged, not shown). */
  authenticate(token: string): Promise<Principal>;
  /**
   * The hooks for one client connection from `address` (failed logins count per source).
   * @default these hooks, for every client
   */
  forClient?(address: string | undefined): SshSessionHooks;
  /** Whether this principal may use this connection now. */
  authorize(principal: Principal, connection: string): SshAccessResult | Promise<SshAccessResult>;
  resolveConnection(name: string): SshConnectionConfig | undefined;
  /** Resolves a secret reference; called on every upstream connect so rotation needs no restart. */
  resolveSecret(ref: string): Promise<string>;
  /**
   * Channel request on a connection → facts (see `inspectSsh`). Any throw denies the request as
   * not inspectable; a WardenError's message says why (it is shown to the client, masked).
   */
  inspect(request: SshChannelRequest, connection: string): ShellFacts;
  /**
   * Output masking of its own for one allowed exec, e.g. by the columns of the classified file the
   * line reads. Runs after the attempt is audited and before the command is forwarded; `run`
   * executes a command of the gateway's own on the session's upstream connection (bounded) and
   * resolves its standard output. @default absent: the session masker masks every exec
   */
  outputMasker?(request: SshOutputMaskRequest): Promise<SshOutputMasking>;
  /**
   * Whether a path may name a file the connection classifies; sftp refuses to open, rename or link
   * one, since its contents would leave unmasked. @default absent: no file is classified
   */
  classifiedFile?(connection: string, path: string): boolean;
  /**
   * The client is logged in: the gateway lists the session as live. Its `terminated` signal ends
   * the session (a `warden:` line on each open channel's stderr, then disconnect); `closed` is
   * called once it ends. @default absent: sessions are not listed and cannot be terminated
   */
  opened?(info: LiveSessionInfo): LiveSession;
  /** The free-text masker for this principal's output (the masking profile that applies). */
  masker(principal: Principal, connection: string): TextMasker;
  /** Opens a recording; a rejection refuses the channel (nothing runs unrecorded). */
  record(meta: SshRecordingMeta): Promise<RecordingTarget>;
}
