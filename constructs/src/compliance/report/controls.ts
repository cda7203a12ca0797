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
}

export const HIPAA_CONTROLS: readonly HipaaControl[] = [
  {
    id: '164.312(a)(1)',
    title: 'Access control',
    kind: 'standard',
    mechanism:
      'The gateway is the only network path to each protected resource; a principal needs a standing or just-in-time grant, and policy is default-deny. PHI columns and detected PHI are masked before results leave the gateway.',
  },
  {
    id: '164.312(a)(2)(i)',
    title: 'Unique user identification',
    kind: 'required',
    mechanism:
      'Every session carries an OIDC subject (human or agent); upstream credentials are held only by the gateway, so the shared database role never identifies a person.',
  },
  {
    id: '164.312(a)(2)(ii)',
    title: 'Emergency access procedure',
    kind: 'required',
    mechanism: 'Just-in-time grants approved by a named approver group, with an expiry, all audited.',
  },
  {
    id: '164.312(a)(2)(iii)',
    title: 'Automatic logoff',
    kind: 'addressable',
    mechanism:
      'Session tokens live at most one hour (default 15 min); live sessions end when a grant expires.',
  },
  {
    id: '164.312(a)(2)(iv)',
    title: 'Encryption and decryption',
    kind: 'addressable',
    mechanism:
      'Audit segments, recordings and logs are encrypted with a customer-managed key with rotation; the task reads only its own secrets.',
  },
  {
    id: '164.312(b)',
    title: 'Audit controls',
    kind: 'standard',
    mechanism:
      'Every attempt is appended to a hash-chained audit log before it is forwarded; sealed segments go to write-once storage held for six years; gateway logs are retained six years.',
  },
  {
    id: '164.312(c)(1)',
    title: 'Integrity',
    kind: 'standard',
    mechanism:
      'Writes on PHI connections wait for a second person; audit storage cannot be altered or deleted during retention (compliance-mode lock).',
  },
  {
    id: '164.312(c)(2)',
    title: 'Mechanism to authenticate electronic PHI',
    kind: 'addressable',
    mechanism: 'Signed checkpoints over the audit hash chain; `warden audit verify` detects any change.',
  },
  {
    id: '164.312(d)',
    title: 'Person or entity authentication',
    kind: 'standard',
    mechanism:
      'OIDC tokens verified against the issuer’s keys, audience and expiry; agents and humans are told apart.',
  },
  {
    id: '164.312(e)(1)',
    title: 'Transmission security',
    kind: 'standard',
    mechanism:
      'The gateway terminates TLS itself on every listener and verifies upstream certificates; the load balancer is internal and no gateway resource is internet-facing.',
  },
  {
    id: '164.312(e)(2)(i)',
    title: 'Integrity controls (transmission)',
    kind: 'addressable',
    mechanism: 'TLS on both legs; storage accepts only TLS requests.',
  },
  {
    id: '164.312(e)(2)(ii)',
    title: 'Encryption (transmission)',
    kind: 'addressable',
    mechanism: 'TLS required on client and upstream legs; plaintext passwords are refused outside loopback.',
  },
];

/** Row for findings whose rule maps to no § 164.312 control (general hygiene checks). */
export const OTHER_CONTROL: HipaaControl = {
  id: 'other',
  title: 'Other safeguards (not mapped to § 164.312)',
  kind: 'standard',
  mechanism: 'General cloud hygiene checks from the rule packs.',
};

/** Row for findings of a HIPAA rule Warden's table does not map yet (a newer cdk-nag). */
export const UNMAPPED_CONTROL: HipaaControl = {
  id: 'unmapped',
  title: 'HIPAA rules not yet mapped to a § 164.312 control',
  kind: 'standard',
  mechanism:
    'The installed cdk-nag has HIPAA rules newer than this version of @warden/constructs; upgrade it to file them under their control.',
};

/** The control for an id, matching a more specific id to its standard, e.g. "164.312(e)(2)(ii)". */
export function controlFor(id: string): HipaaControl {
  return (
    HIPAA_CONTROLS.find((c) => c.id === id) ?? (id === UNMAPPED_CONTROL.id ? UNMAPPED_CONTROL : OTHER_CONTROL)
  );
}
