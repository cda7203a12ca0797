/**
 * The rules over the gateway config, each with a compliant and a non-compliant config (and
 * "could not validate" where a value is not known at synth). Both clouds run these same rules.
 */
import * as rules from '../../../constructs/src/compliance/config';
import { GATEWAY_CONFIG_RULES, type GatewayConfigRule } from '../../../constructs/src/compliance/config';
import { renderGatewayConfig, validateWardenConfig, type WardenConfig } from '../../../constructs/src/core';

const arn = (name: string) =>
  `aws-secretsmanager:arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}-AbCdEf`;

/** What the construct library renders for one PHI database, an SSH host and an HTTP API. */
const rendered = renderGatewayConfig({
  identity: {
    issuers: [{ issuer: 'https://idp.example.org', audiences: ['warden'] }],
    agentGroups: ['agents'],
    approverGroups: ['approvers'],
  },
  connections: [
    {
      spec: {
        name: 'ehr',
        kind: 'postgres',
        phi: true,
        upstream: {
          host: 'db.internal',
          port: 5432,
          database: 'ehr',
          user: 'warden',
          password: arn('db'),
          tls: { mode: 'verify-full' },
        },
        classification: { 'public.patients.ssn': 'SSN' },
      },
    },
    {
      spec: {
        name: 'batch',
        kind: 'ssh',
        phi: true,
        upstream: {
          host: 'batch.internal',
          port: 22,
          user: 'warden',
          privateKey: arn('ssh'),
          hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest',
        },
      },
    },
    {
      spec: {
        name: 'labs',
        kind: 'http',
        phi: true,
        upstream: { url: 'https://labs.example.org', credential: { type: 'bearer', token: arn('api') } },
      },
    },
  ],
  secrets: {
    tlsCertificate: arn('tls'),
    tlsKey: arn('tls'),
    auditSigningKey: arn('audit'),
    sessionSigningKey: arn('session'),
    sshHostKey: arn('ssh-host'),
  },
  storage: [{ kind: 's3', bucket: 'audit-bucket' }],
});

// biome-ignore lint/suspicious/noExplicitAny: tests reshape the raw config freely
type Edit = (c: any) => void;

/** The rendered config with `edit` applied to a copy, validated as the gateway would. */
function config(edit: Edit = () => {}): WardenConfig {
  const copy = structuredClone(rendered);
  edit(copy);
  return validateWardenConfig(copy);
}

const statusOf = (rule: GatewayConfigRule, edit?: Edit) => rule.check(config(edit)).status;

describe('every config rule passes what the construct library renders', () => {
  it.each(GATEWAY_CONFIG_RULES.map((r) => [r.id, r] as const))('%s', (_id, rule) => {
    expect(rule.check(config())).toMatchObject({ status: 'compliant' });
  });

  it('covers every § 164.312 row that a gateway setting decides', () => {
    expect([...new Set(GATEWAY_CONFIG_RULES.map((r) => r.hipaaControl))].sort()).toEqual([
      '164.312(a)(1)',
      '164.312(a)(2)(i)',
      '164.312(a)(2)(ii)',
      '164.312(a)(2)(iii)',
      '164.312(b)',
      '164.312(c)(1)',
      '164.312(c)(2)',
      '164.312(d)',
      '164.312(e)(2)(i)',
      '164.312(e)(2)(ii)',
    ]);
  });
});

describe('GatewayPhiWritesRequireApproval (164.312(c)(1))', () => {
  const rule = rules.GatewayPhiWritesRequireApproval;

  it('fails the old false pass: a hold on INSERT, UPDATE and DELETE only leaves MERGE, COPY … FROM and DDL unheld', () => {
    const outcome = rule.check(
      config((c) => {
        c.policy.rules[0].sql = { kinds: ['insert', 'update', 'delete'] };
      }),
    );
    expect(outcome.status).toBe('non-compliant');
    expect(outcome.message).toMatch(/"warden\.phi-sql-writes" match statement kinds.*sql\.write: true/);
  });

  it('fails a write rule narrowed to some tables', () => {
    expect(
      statusOf(rule, (c) => {
        c.policy.rules[0].sql = { write: true, writes: ['public.patients'] };
      }),
    ).toBe('non-compliant');
  });

  it('fails a write rule that exempts a group', () => {
    expect(
      statusOf(rule, (c) => {
        c.policy.rules[0].principals = { kinds: ['agent'] };
      }),
    ).toBe('non-compliant');
  });

  it('fails an SSH rule that leaves sftp (subsystem) unheld', () => {
    expect(
      statusOf(rule, (c) => {
        c.policy.rules[1].ssh = { modes: ['exec', 'shell'] };
      }),
    ).toBe('non-compliant');
  });

  it('fails holds no approval rule names approvers for', () => {
    expect(
      statusOf(rule, (c) => {
        c.approvals.rules = [];
      }),
    ).toBe('non-compliant');
  });

  it('passes a deny with no protocol block (it matches every command)', () => {
    expect(
      statusOf(rule, (c) => {
        c.policy.rules = [{ name: 'read-only', decision: 'deny', principals: {} }];
        c.approvals.rules = [];
      }),
    ).toBe('compliant');
  });
});

describe('GatewayUpstreamRoleLeastPrivilege (164.312(a)(1))', () => {
  const rule = rules.GatewayUpstreamRoleLeastPrivilege;
  it('fails a PHI database served through a privileged role, naming it', () => {
    const outcome = rule.check(
      config((c) => {
        c.connections[0].acceptPrivilegedRole = { reason: 'Vendor-managed database, RDS master role only.' };
      }),
    );
    expect(outcome).toMatchObject({ status: 'non-compliant', message: expect.stringContaining('"ehr"') });
  });
  it('does not apply without a PHI database', () => {
    expect(
      statusOf(rule, (c) => {
        c.connections[0].phi = false;
      }),
    ).toBe('not-applicable');
  });
});

describe('GatewayPrincipalsIdentified (164.312(a)(2)(i))', () => {
  it('fails an issuer that classes every principal human', () => {
    expect(
      statusOf(rules.GatewayPrincipalsIdentified, (c) => {
        c.identity.issuers[0].kind = { agentWhenSubjectIsClient: false, default: 'human' };
      }),
    ).toBe('non-compliant');
  });
});

describe('GatewayEmergencyAccessJustInTime (164.312(a)(2)(ii))', () => {
  const rule = rules.GatewayEmergencyAccessJustInTime;
  it('fails without just-in-time access', () => {
    expect(
      statusOf(rule, (c) => {
        delete c.access.justInTime;
      }),
    ).toBe('non-compliant');
  });
  it('fails grants that may last a day', () => {
    expect(
      statusOf(rule, (c) => {
        c.access.justInTime.maxDurationMs = 24 * 3600_000;
      }),
    ).toBe('non-compliant');
  });
});

describe('GatewaySessionsExpire (164.312(a)(2)(iii))', () => {
  const rule = rules.GatewaySessionsExpire;
  it('fails just-in-time grants without a working-day bound', () => {
    expect(
      statusOf(rule, (c) => {
        c.access.justInTime.maxDurationMs = 48 * 3600_000;
      }),
    ).toBe('non-compliant');
  });
  it("could not validate sessions that last as long as the issuer's own tokens", () => {
    expect(
      statusOf(rule, (c) => {
        delete c.identity.sessionTokens;
      }),
    ).toBe('could-not-validate');
  });
});

describe('GatewayEvidenceExportDaily (164.312(b))', () => {
  const rule = rules.GatewayEvidenceExportDaily;
  it('names where the packs land', () => {
    expect(rule.check(config()).message).toContain('s3://audit-bucket/audit/evidence/<host>/<YYYY-MM-DD>/');
  });
  it('fails when the daily export is off', () => {
    expect(
      statusOf(rule, (c) => {
        c.audit.evidence.daily = false;
      }),
    ).toBe('non-compliant');
  });
  it('fails when the packs would stay on the gateway host', () => {
    expect(
      statusOf(rule, (c) => {
        c.audit.sinks = [];
      }),
    ).toBe('non-compliant');
  });
});

describe('GatewayAuditCheckpointsSigned (164.312(c)(2))', () => {
  const rule = rules.GatewayAuditCheckpointsSigned;
  it.each([
    ['a checkpoint key in the environment', (c) => (c.audit.signingKey = 'env:AUDIT_KEY')],
    ['checkpoints every ten minutes', (c) => (c.audit.checkpointIntervalMs = 600_000)],
    ['no write-once copy', (c) => (c.audit.sinks = [])],
  ] as [string, Edit][])('fails %s', (_name, edit) => {
    expect(statusOf(rule, edit)).toBe('non-compliant');
  });
});

describe('GatewayOidcAuthentication (164.312(d))', () => {
  const rule = rules.GatewayOidcAuthentication;
  it('fails an issuer over plain HTTP', () => {
    expect(
      statusOf(rule, (c) => {
        c.identity.issuers[0].issuer = 'http://idp.example.org';
      }),
    ).toBe('non-compliant');
  });
  it('fails a session-token key read from a file', () => {
    expect(
      statusOf(rule, (c) => {
        c.identity.sessionTokens.signingKey = 'file:/etc/warden/session.pem';
      }),
    ).toBe('non-compliant');
  });
});

describe('GatewayUpstreamTlsVerified (164.312(e)(2)(i))', () => {
  const rule = rules.GatewayUpstreamTlsVerified;
  it('fails an upstream without certificate verification, naming it', () => {
    expect(
      rule.check(
        config((c) => {
          c.connections[0].upstream.tls = { mode: 'disable' };
        }),
      ),
    ).toMatchObject({ status: 'non-compliant', message: expect.stringContaining('"ehr"') });
  });
  it('fails an HTTP API reached over http', () => {
    expect(
      statusOf(rule, (c) => {
        c.connections[2].upstream.url = 'http://labs.example.org';
      }),
    ).toBe('non-compliant');
  });
});

describe('GatewayTlsRequired (164.312(e)(2)(ii))', () => {
  it('fails an admin listener without TLS', () => {
    expect(
      statusOf(rules.GatewayTlsRequired, (c) => {
        delete c.listeners.admin.tls;
        c.listeners.admin.host = '127.0.0.1';
      }),
    ).toBe('non-compliant');
  });
});

describe('GatewayPhiConnectionsMasked (164.312(a)(1))', () => {
  it('fails a PHI database with no classified columns', () => {
    expect(
      statusOf(rules.GatewayPhiConnectionsMasked, (c) => {
        c.connections[0].classification = {};
      }),
    ).toBe('non-compliant');
  });
});
