/**
 * The pack as a document both renderers share: one block per section, each naming the
 * requirements it evidences, with its sentences and tables. Markdown and HTML differ only in
 * markup, so a reviewer reading either sees the same facts.
 */
import { sortedCounts } from '../collect/collector';
import { type EvidenceData, REQUIREMENTS, SECTION_TITLES, SECTIONS, type SectionId } from '../model';

export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  /** Said instead of an empty table. @default "None: <first header>." */
  readonly empty?: string;
}

export interface DocSection {
  readonly id: SectionId;
  readonly title: string;
  readonly evidences: readonly string[];
  readonly lines: readonly string[];
  readonly tables: readonly Table[];
}

const counts = (c: Readonly<Record<string, number>>, what: string, empty: string): Table => ({
  headers: [what, 'count'],
  rows: sortedCounts(c),
  empty,
});
const join = (c: Readonly<Record<string, number | undefined>>) =>
  Object.entries(c)
    .filter(([, n]) => n)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || '—';
const or = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? '—' : v);

function integrity(d: EvidenceData): Pick<DocSection, 'lines' | 'tables'> {
  const i = d.integrity;
  const lines = [
    i.ok
      ? `VERIFIED: the hash chain and every checkpoint signature check out (${i.events} events in ${i.segments} segment(s), ${i.checkpoints} checkpoints, last verified checkpoint at seq ${i.lastCheckpointSeq}).`
      : `NOT VERIFIED: ${i.problems.length} problem(s)${i.signaturesVerified ? '' : '; checkpoint signatures were not checked (no public key)'}.`,
    i.keyId
      ? `Checkpoints signed by the Ed25519 key with fingerprint ${i.keyId} (SHA-256 of its SubjectPublicKeyInfo, first 16 hex digits).`
      : 'No public key was given: the checkpoints were hash-checked only, and a rewritten log would pass.',
    i.periodFirstSeq === null
      ? 'No events fall in the period.'
      : `Events of the period: seq ${i.periodFirstSeq}–${i.periodLastSeq}; ${i.periodVouched ? 'all vouched for by a verified checkpoint' : 'NOT all vouched for by a verified checkpoint'}.`,
    ...(i.unsealedEvents > 0
      ? [`${i.unsealedEvents} event(s) after the last checkpoint (the log is live).`]
      : []),
  ];
  const tables = i.problems.length
    ? [
        {
          headers: ['problem', 'first seq', 'detail'],
          rows: i.problems.map((p) => [p.kind, or(p.seq), p.message]),
        },
      ]
    : [];
  return { lines, tables };
}

function body(id: SectionId, d: EvidenceData): Pick<DocSection, 'lines' | 'tables'> {
  switch (id) {
    case 'integrity':
      return integrity(d);
    case 'principals':
      return {
        lines: [`${d.principals.length} principal(s) acted in the period.`],
        tables: [
          {
            empty: 'No principal acted in the period.',
            headers: [
              'subject',
              'kind',
              'issuer',
              'sessions',
              'connections',
              'commands',
              'refused',
              'first seen',
              'last seen',
            ],
            rows: d.principals.map((p) => [
              p.subject,
              p.kind,
              p.issuer,
              join(p.sessions),
              p.connections.join(', ') || '—',
              p.commands,
              p.denied,
              p.firstSeen,
              p.lastSeen,
            ]),
          },
        ],
      };
    case 'sessions': {
      const s = d.sessions;
      return {
        lines: [
          `Sessions started: ${join(s.started)} (each HTTP request is audited on its own).`,
          `Inspection mismatches (the upstream ran something the gateway did not inspect; the session was ended): ${s.inspectionMismatches.length}.`,
        ],
        tables: [
          counts(s.endedBy, 'session ended because', 'No session ended in the period.'),
          counts(s.refusedBy, 'session refused because', 'No session was refused.'),
          ...(s.terminated.length
            ? [
                {
                  headers: ['terminated at', 'session', 'by', 'owner'],
                  rows: s.terminated.map((t) => [t.time, t.session, t.by, or(t.owner)]),
                },
              ]
            : []),
          ...(s.inspectionMismatches.length
            ? [
                {
                  headers: ['mismatch at', 'session', 'connection', 'kind'],
                  rows: s.inspectionMismatches.map((m) => [m.time, or(m.session), or(m.connection), m.kind]),
                },
              ]
            : []),
          ...(s.privilegedUpstream.length
            ? [
                {
                  headers: ['connection served through a privileged role', 'privileges', 'sessions'],
                  rows: s.privilegedUpstream.map((p) => [p.connection, p.privileges.join(', '), p.sessions]),
                },
              ]
            : []),
        ],
      };
    }
    case 'access':
      return {
        lines: d.access.standing
          ? []
          : ['Standing grants are in the config, which this export was not given (--config).'],
        tables: [
          ...(d.access.standing
            ? [
                {
                  headers: ['standing grant', 'connections', 'principals'],
                  rows: d.access.standing.map((g) => [g.name, g.connections.join(', '), g.principals]),
                },
              ]
            : []),
          {
            empty: 'No just-in-time access was requested.',
            headers: [
              'just-in-time request',
              'subject',
              'connection',
              'requested',
              'hours',
              'status',
              'approved or denied by',
              'at',
              'expires',
              'revoked by',
            ],
            rows: d.access.justInTime.map((g) => [
              g.approval,
              g.subject,
              or(g.connection),
              or(g.requestedAt),
              g.durationMs === null ? '—' : g.durationMs / 3600_000,
              g.status,
              or(g.approvedBy),
              or(g.approvedAt),
              or(g.expiresAt),
              or(g.revokedBy),
            ]),
          },
        ],
      };
    case 'approvals':
      return {
        lines: [`${d.approvals.length} command(s) held for approval.`],
        tables: [
          {
            empty: 'No command was held for approval.',
            headers: [
              'approval',
              'requested',
              'requester',
              'connection',
              'rule',
              'what',
              'decision',
              'decided by',
              'outcome',
            ],
            rows: d.approvals.map((a) => [
              a.approval,
              a.requestedAt,
              a.requester,
              or(a.connection),
              a.rule,
              a.what,
              a.status,
              a.decisions.map((x) => `${x.by} (${x.verdict}, ${x.at})`).join('; ') || '—',
              a.outcome,
            ]),
          },
        ],
      };
    case 'refusals': {
      const r = d.refusals;
      return {
        lines: [],
        tables: [
          {
            headers: ['denied by rule', 'count', 'protocols'],
            rows: r.byRule.map((x) => [x.rule, x.count, join(x.protocols)]),
          },
          ...(r.sshPrograms.length
            ? [
                {
                  headers: ['SSH rule', 'program', 'features', 'count'],
                  rows: r.sshPrograms.map((x) => [x.rule, x.program, x.features.join(', ') || '—', x.count]),
                },
              ]
            : []),
          counts(r.notInspectable, 'refused without a decision', ''),
          counts(r.authentication, 'authentication refused', ''),
          counts(r.channels, 'SSH channel refused', ''),
          counts(r.sftp, 'sftp operation refused', ''),
          counts(r.http, 'HTTP request refused', ''),
        ].filter((t) => t.rows.length > 0),
      };
    }
    case 'masking':
      return {
        lines: [
          'Values masked in responses, per connection and entity ("(raw)": shown unmasked to a profile allowed to see it).',
        ],
        tables: [
          {
            empty: 'No value was masked.',
            headers: ['connection', 'entity', 'values'],
            rows: d.masking.map((m) => [m.connection, m.entity, m.values]),
          },
        ],
      };
    case 'recordings':
      return d.recordings === null
        ? { lines: ['No recordings directory was given (--recordings-dir, or the config).'], tables: [] }
        : {
            lines: [
              `${d.recordings.length} recording(s) of the period's sessions; the SHA-256 shows a recording was not altered.`,
            ],
            tables: [
              {
                headers: ['session', 'file', 'bytes', 'sha256', 'principal', 'connection', 'protocol'],
                rows: d.recordings.map((r) => [
                  r.session,
                  r.file,
                  r.bytes,
                  r.sha256,
                  or(r.principal),
                  or(r.connection),
                  or(r.protocol),
                ]),
              },
            ],
          };
    case 'activity':
      return {
        lines: [],
        tables: [
          {
            empty: 'No activity in the period.',
            headers: ['day (UTC)', 'sessions', 'commands', 'refused', 'held'],
            rows: d.activity.map((a) => [a.day, a.sessions, a.commands, a.denied, a.held]),
          },
        ],
      };
    case 'configuration': {
      const c = d.configuration;
      if (!c) return { lines: ['This export was not given the config (--config).'], tables: [] };
      return {
        lines: [
          `Session tokens live ${c.sessionTokenLifetimeSec === null ? 'as long as the issuer’s tokens' : `${c.sessionTokenLifetimeSec} s`}; ${c.justInTimeMaxHours === null ? 'just-in-time access is not enabled' : `just-in-time grants at most ${c.justInTimeMaxHours} h`}.`,
          `Checkpoints every ${c.checkpointEvery} events or ${c.checkpointIntervalMs / 1000} s; write-once copies: ${c.writeOnceSinks.join(', ') || 'none'}.`,
        ],
        tables: [
          {
            headers: ['listener', 'TLS', 'note'],
            rows: c.listeners.map((l) => [l.name, l.tls ? 'yes' : 'no', or(l.note)]),
          },
          {
            headers: ['upstream', 'kind', 'verified'],
            rows: c.upstreams.map((u) => [u.connection, u.kind, u.verified]),
          },
        ],
      };
    }
  }
}

export function evidenceDocument(d: EvidenceData): DocSection[] {
  return SECTIONS.map((id) => ({
    id,
    title: SECTION_TITLES[id],
    evidences: REQUIREMENTS.filter((r) => r.sections.includes(id)).map((r) => `§ ${r.id}`),
    ...body(id, d),
  }));
}
