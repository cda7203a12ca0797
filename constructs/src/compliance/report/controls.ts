/**
 * The HIPAA Security Rule technical safeguards (45 CFR § 164.312) and the Warden mechanism that
 * addresses each. The matrix rows come from here; findings attach to a row by `hipaaControl`.
 */

export interface HipaaControl {
  /** e.g. "164.312(a)(1)". */
  readonly id: string;
  readonly title: string;
  /** Required (R) or addressable (A) in the rule's own terms; standards are required. */
  readonly kind: 'standard' | 'required' | 'addressable';
  /** What Warden does about it, in one or two sentences a reviewer can check. */
  readonly mechanism: string;
  /**
   * What proves it while the gateway runs: the sections of the evidence pack (`warden evidence
   * export`) that show the control working, or why synth-time checks are the proof.
   */
  readonly runtimeEvidence: string;
}

export const HIPAA_CONTROLS: readonly HipaaControl[] = [
  {
    id: '164.312(a)(1)',
    title: 'Access control',
    kind: 'standard',
    mechanism:
      'The gateway is the only network path to each protected resource; a principal needs a standing or just-in-time grant, and policy is default-deny. PHI columns and detected PHI are masked before results leave the gateway.',
    runtimeEvidence:
      'Evidence pack: denials and refusals by rule, access grants, masking per connection and entity.',
  },
  {
    id: '164.312(a)(2)(i)',
    title: 'Unique user identification',
    kind: 'required',
    mechanism:
      'Every session carries an OIDC subject (human or agent); upstream credentials are held only by the gateway, so the shared database role never identifies a person.',
    runtimeEvidence:
      'Evidence pack: principals with their sessions, each a named subject classed human or agent.',
  },
  {
    id: '164.312(a)(2)(ii)',
    title: 'Emergency access procedure',
    kind: 'required',
    mechanism:
      'Just-in-time grants approved by a named approver group (never the requester), expiring within 12 h, all audited.',
    runtimeEvidence: 'Evidence pack: access grants (just-in-time requests, approvers, expiry, revocations).',
  },
  {
    id: '164.312(a)(2)(iii)',
    title: 'Automatic logoff',
    kind: 'addressable',
    mechanism:
      'Session tokens live at most one hour (default 15 min) and just-in-time grants at most 12 h; a session ends when its token or grant expires.',
    runtimeEvidence:
      'Evidence pack: sessions by how they ended (credential expired, grant expired or revoked, terminated).',
  },
  {
    id: '164.312(a)(2)(iv)',
    title: 'Encryption and decryption',
    kind: 'addressable',
    mechanism:
      'Audit segments, recordings and logs are encrypted with a customer-managed key with rotation; the task reads only its own secrets.',
    runtimeEvidence:
      'Synth-time only: encryption at rest is a property of the deployed storage and keys, checked above.',
  },
  {
    id: '164.312(b)',
    title: 'Audit controls',
    kind: 'standard',
    mechanism:
      'Every attempt is appended to a hash-chained audit log before it is forwarded; sealed segments go to write-once storage held for six years; gateway logs are retained six years; a signed evidence pack of each day lands in the same storage for review.',
    runtimeEvidence: 'Evidence pack: audit log integrity, activity per day, recordings index.',
  },
  {
    id: '164.312(c)(1)',
    title: 'Integrity',
    kind: 'standard',
    mechanism:
      "Every write on a PHI connection (the gateway's one definition of a write: DML, TRUNCATE, MERGE, COPY … FROM, DDL, GRANT, procedural code) waits for a second person; audit storage cannot be altered or deleted during retention (compliance-mode lock).",
    runtimeEvidence: 'Evidence pack: held commands with each decision and decider.',
  },
  {
    id: '164.312(c)(2)',
    title: 'Mechanism to authenticate electronic PHI',
    kind: 'addressable',
    mechanism:
      'Checkpoints over the audit hash chain are signed with a key held in the secret store; `warden audit verify` and `warden evidence verify` detect any change.',
    runtimeEvidence:
      "Evidence pack: chain and signed-checkpoint verification with the key fingerprint; the pack's own signed manifest.",
  },
  {
    id: '164.312(d)',
    title: 'Person or entity authentication',
    kind: 'standard',
    mechanism:
      'OIDC tokens verified against the issuer’s keys, audience and expiry; agents and humans are told apart.',
    runtimeEvidence: 'Evidence pack: principals (who authenticated, how) and authentication refusals.',
  },
  {
    id: '164.312(e)(1)',
    title: 'Transmission security',
    kind: 'standard',
    mechanism:
      'The gateway terminates TLS itself on every listener and verifies upstream certificates; the load balancer is internal and no gateway resource is internet-facing.',
    runtimeEvidence:
      'Evidence pack: gateway configuration (listeners and upstream TLS) when exported with --config.',
  },
  {
    id: '164.312(e)(2)(i)',
    title: 'Integrity controls (transmission)',
    kind: 'addressable',
    mechanism:
      'Upstream certificates and host names are verified and SSH host keys pinned, so nothing in between can alter PHI unnoticed; storage accepts only TLS requests.',
    runtimeEvidence:
      'Evidence pack: gateway configuration (upstream certificate verification, pinned SSH host keys) when exported with --config.',
  },
  {
    id: '164.312(e)(2)(ii)',
    title: 'Encryption (transmission)',
    kind: 'addressable',
    mechanism:
      'TLS on every listener and towards every upstream; plaintext passwords are refused outside loopback; Cloud SQL targets refuse unencrypted connections.',
    runtimeEvidence:
      'Evidence pack: gateway configuration (TLS on every listener) when exported with --config.',
  },
  {
    id: '164.308(a)(1)(ii)(D)',
    title: 'Information system activity review',
    kind: 'required',
    mechanism:
      'The gateway serves metrics (sessions, decisions, holds, audit health, readiness); the constructs deploy a dashboard and alarms on audit append failures, readiness, hold age, denied-statement spikes and task restarts that notify a topic or channel operators subscribe to.',
    runtimeEvidence:
      'Alarm history and dashboards in the cloud monitoring service; evidence pack: activity per day, denials and refusals, held commands.',
  },
];

/** Row for findings whose rule maps to no § 164.312 control (general hygiene checks). */
export const OTHER_CONTROL: HipaaControl = {
  id: 'other',
  title: 'Other safeguards (not mapped to § 164.312)',
  kind: 'standard',
  mechanism: 'General cloud hygiene checks from the rule packs.',
  runtimeEvidence: 'Synth-time only.',
};

/** Row for findings of a HIPAA rule Warden's table does not map yet (a newer cdk-nag). */
export const UNMAPPED_CONTROL: HipaaControl = {
  id: 'unmapped',
  title: 'HIPAA rules not yet mapped to a § 164.312 control',
  kind: 'standard',
  mechanism:
    'The installed cdk-nag has HIPAA rules newer than this version of @warden/constructs; upgrade it to file them under their control.',
  runtimeEvidence: 'Synth-time only.',
};

/** The control for an id, matching a more specific id to its standard, e.g. "164.312(e)(2)(ii)". */
export function controlFor(id: string): HipaaControl {
  return (
    HIPAA_CONTROLS.find((c) => c.id === id) ?? (id === UNMAPPED_CONTROL.id ? UNMAPPED_CONTROL : OTHER_CONTROL)
  );
}
