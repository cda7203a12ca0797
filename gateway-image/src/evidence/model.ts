/**
 * The evidence pack's data: what `warden evidence export` writes as evidence.json and renders as
 * Markdown and HTML. Everything here is a count, an identifier of a person, agent, connection,
 * rule, grant or approval, a relation or program name, a time or a hash; never a value read from
 * a protected system, a command line, SQL text or a free-text reason (those may carry PHI).
 */

export const EVIDENCE_FORMAT = 'warden-evidence/1';

/** Sections of the pack, in the order they are rendered. */
export const SECTIONS = [
  'integrity',
  'principals',
  'sessions',
  'access',
  'approvals',
  'refusals',
  'masking',
  'recordings',
  'activity',
  'configuration',
] as const;
export type SectionId = (typeof SECTIONS)[number];

export const SECTION_TITLES: Readonly<Record<SectionId, string>> = {
  integrity: 'Audit log integrity',
  principals: 'Principals',
  sessions: 'Sessions',
  access: 'Access grants',
  approvals: 'Held commands',
  refusals: 'Denials and refusals',
  masking: 'Masking',
  recordings: 'Recordings',
  activity: 'Activity per day',
  configuration: 'Gateway configuration',
};

export interface Requirement {
  readonly id: string;
  readonly title: string;
  readonly sections: readonly SectionId[];
}

/**
 * Which HIPAA requirement each section is evidence for. The construct library's reviewer report
 * names the same sections as each § 164.312 row's runtime evidence.
 */
export const REQUIREMENTS: readonly Requirement[] = [
  { id: '164.312(a)(1)', title: 'Access control', sections: ['access', 'refusals', 'masking'] },
  { id: '164.312(a)(2)(i)', title: 'Unique user identification', sections: ['principals'] },
  { id: '164.312(a)(2)(ii)', title: 'Emergency access procedure', sections: ['access'] },
  { id: '164.312(a)(2)(iii)', title: 'Automatic logoff', sections: ['sessions', 'configuration'] },
  { id: '164.312(b)', title: 'Audit controls', sections: ['integrity', 'activity', 'recordings'] },
  { id: '164.312(c)(1)', title: 'Integrity', sections: ['approvals'] },
  { id: '164.312(c)(2)', title: 'Mechanism to authenticate electronic PHI', sections: ['integrity'] },
  { id: '164.312(d)', title: 'Person or entity authentication', sections: ['principals', 'refusals'] },
  { id: '164.312(e)(1)', title: 'Transmission security', sections: ['configuration'] },
  { id: '164.312(e)(2)(i)', title: 'Integrity controls (transmission)', sections: ['configuration'] },
  { id: '164.312(e)(2)(ii)', title: 'Encryption (transmission)', sections: ['configuration'] },
  {
    id: '164.308(a)(1)(ii)(D)',
    title: 'Information system activity review',
    sections: ['activity', 'refusals', 'approvals', 'sessions'],
  },
];

export interface Period {
  /** Inclusive, ISO-8601 UTC. */
  readonly from: string;
  /** Exclusive, ISO-8601 UTC. */
  readonly to: string;
}

export interface IntegrityEvidence {
  readonly ok: boolean;
  readonly events: number;
  readonly segments: number;
  readonly lastSeq: number;
  readonly checkpoints: number;
  readonly lastCheckpointSeq: number;
  readonly signaturesVerified: boolean;
  /** Fingerprint of the Ed25519 key the checkpoints were verified with (SHA-256 of SPKI, 16 hex). */
  readonly keyId: string | null;
  /** Events after the last checkpoint (a live log). */
  readonly unsealedEvents: number;
  /** Problem kinds and the seq they start at; messages name seqs and files, never event content. */
  readonly problems: readonly {
    readonly kind: string;
    readonly seq: number | null;
    readonly message: string;
  }[];
  /** Seqs of the events in the period, and whether a verified checkpoint vouches for all of them. */
  readonly periodFirstSeq: number | null;
  readonly periodLastSeq: number | null;
  readonly periodVouched: boolean;
  /** With several processes' chains (workers): each chain's result and period. */
  readonly chains?: readonly {
    readonly id: string;
    readonly ok: boolean;
    readonly events: number;
    readonly periodFirstSeq: number | null;
    readonly periodLastSeq: number | null;
    readonly periodVouched: boolean;
  }[];
}

export type Protocol = 'postgres' | 'ssh' | 'http' | 'kubernetes';

export interface PrincipalEvidence {
  readonly subject: string;
  readonly kind: string;
  readonly issuer: string;
  readonly sessions: Readonly<Partial<Record<Protocol, number>>>;
  readonly connections: readonly string[];
  readonly commands: number;
  readonly denied: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export interface SessionEvidence {
  readonly started: Readonly<Partial<Record<Protocol, number>>>;
  /** session.end reasons: client-closed, credential-expired, grant-revoked, terminated, … */
  readonly endedBy: Readonly<Record<string, number>>;
  /** session.refused reasons: bad-token, no-grant, startup-parameter, privileged-upstream-role, … */
  readonly refusedBy: Readonly<Record<string, number>>;
  readonly terminated: readonly {
    readonly time: string;
    readonly session: string;
    readonly by: string;
    readonly owner: string | null;
  }[];
  /** The upstream ran something the gateway did not inspect; the session was ended. */
  readonly inspectionMismatches: readonly {
    readonly time: string;
    readonly session: string | null;
    readonly connection: string | null;
    readonly kind: string;
  }[];
  /** Sessions served through an upstream role with server-level privileges (acceptPrivilegedRole). */
  readonly privilegedUpstream: readonly {
    readonly connection: string;
    readonly privileges: readonly string[];
    readonly sessions: number;
  }[];
}

export interface JitGrantEvidence {
  readonly approval: string;
  readonly subject: string;
  readonly connection: string | null;
  readonly requestedAt: string | null;
  readonly durationMs: number | null;
  readonly status: string;
  readonly grant: string | null;
  readonly approvedBy: string | null;
  readonly approvedAt: string | null;
  readonly expiresAt: string | null;
  readonly revokedBy: string | null;
  readonly revokedAt: string | null;
  readonly expiredAt: string | null;
}

export interface StandingGrantEvidence {
  readonly name: string;
  readonly connections: readonly string[];
  readonly principals: string;
}

export interface AccessEvidence {
  /** From the config; null when the export was not given one. */
  readonly standing: readonly StandingGrantEvidence[] | null;
  readonly justInTime: readonly JitGrantEvidence[];
}

export interface HeldCommandEvidence {
  readonly approval: string;
  readonly requestedAt: string;
  readonly requester: string;
  readonly connection: string | null;
  readonly rule: string;
  /** What was held, as statement kinds and the relations they write (SQL), never the text. */
  readonly what: string;
  readonly status: string;
  readonly decisions: readonly { readonly by: string; readonly verdict: string; readonly at: string }[];
  /** allowed, denied or not run (the client left, the hold timed out). */
  readonly outcome: string;
}

export interface RefusalEvidence {
  readonly byRule: readonly {
    readonly rule: string;
    readonly count: number;
    readonly protocols: Readonly<Partial<Record<Protocol, number>>>;
  }[];
  /** SSH refusals by the program and features the decision was about. */
  readonly sshPrograms: readonly {
    readonly rule: string;
    readonly program: string;
    readonly features: readonly string[];
    readonly count: number;
  }[];
  /** Commands refused because they could not be inspected, by reason code. */
  readonly notInspectable: Readonly<Record<string, number>>;
  readonly authentication: Readonly<Record<string, number>>;
  readonly channels: Readonly<Record<string, number>>;
  readonly sftp: Readonly<Record<string, number>>;
  readonly http: Readonly<Record<string, number>>;
}

export interface MaskingEvidence {
  readonly connection: string;
  readonly entity: string;
  readonly values: number;
}

export interface RecordingEvidence {
  readonly session: string;
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly principal: string | null;
  readonly connection: string | null;
  readonly protocol: string | null;
}

export interface DayActivity {
  readonly day: string;
  readonly sessions: number;
  readonly commands: number;
  readonly denied: number;
  readonly held: number;
}

export interface ConfigurationEvidence {
  readonly listeners: readonly { readonly name: string; readonly tls: boolean; readonly note: string }[];
  readonly upstreams: readonly {
    readonly connection: string;
    readonly kind: string;
    readonly verified: string;
  }[];
  readonly sessionTokenLifetimeSec: number | null;
  readonly justInTimeMaxHours: number | null;
  readonly checkpointEvery: number;
  readonly checkpointIntervalMs: number;
  readonly writeOnceSinks: readonly string[];
}

export interface EvidenceData {
  readonly format: typeof EVIDENCE_FORMAT;
  readonly generator: string;
  readonly generatedAt: string;
  readonly period: Period;
  /** The host that exported the pack, for packs the gateway exports itself. */
  readonly host: string | null;
  readonly requirements: readonly Requirement[];
  readonly integrity: IntegrityEvidence;
  readonly principals: readonly PrincipalEvidence[];
  readonly sessions: SessionEvidence;
  readonly access: AccessEvidence;
  readonly approvals: readonly HeldCommandEvidence[];
  readonly refusals: RefusalEvidence;
  readonly masking: readonly MaskingEvidence[];
  /** null when no recordings directory was given. */
  readonly recordings: readonly RecordingEvidence[] | null;
  readonly activity: readonly DayActivity[];
  /** null when the export was not given the config. */
  readonly configuration: ConfigurationEvidence | null;
}
