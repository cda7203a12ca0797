import {
  GatewayConfigError,
  type GatewaySpec,
  PHI_RULE_NAMES,
  renderGatewayConfig,
  validateGatewayConfig,
} from '../../../constructs/src/core';

const spec: GatewaySpec = {
  identity: {
    issuers: [{ issuer: 'https://login.example.org', audiences: ['warden'] }],
    agentGroups: ['agents'],
    approverGroups: ['approvers'],
  },
  connections: [
    {
      spec: {
        kind: 'postgres',
        name: 'ehr',
        phi: true,
        upstream: { host: 'db.internal', database: 'ehr', user: 'warden', password: 'env:EHR_PASSWORD' },
        classification: { 'public.patients.ssn': 'SSN' },
      },
    },
    {
      spec: {
        kind: 'http',
        name: 'billing',
        upstream: { url: 'https://billing.internal', credential: { type: 'bearer', token: 'env:BILLING' } },
      },
      allowedGroups: ['finance'],
    },
  ],
  secrets: {
    tlsCertificate: 'file:/run/tls.crt',
    tlsKey: 'file:/run/tls.key',
    auditSigningKey: 'env:AUDIT_KEY',
    sessionSigningKey: 'env:SESSION_KEY',
  },
  storage: [{ kind: 's3', bucket: 'audit-bucket', retentionDays: 2192 }],
};

describe('renderGatewayConfig', () => {
  const config = renderGatewayConfig(spec);

  it('renders a config the gateway accepts', () => {
    const parsed = validateGatewayConfig(config, { source: 'test' });
    expect(parsed.connections.map((c) => c.name)).toEqual(['ehr', 'billing']);
    expect(parsed.listeners.ssh).toBeUndefined();
    expect(parsed.listeners.admin.tls).toBeDefined();
  });

  it('holds PHI writes for approvers, and only on PHI connections', () => {
    const rule = config.policy?.rules?.find((r) => r.name === PHI_RULE_NAMES.sql);
    expect(rule).toMatchObject({ decision: 'require-approval', connections: ['ehr'] });
    expect(config.policy?.rules?.some((r) => r.name === PHI_RULE_NAMES.http)).toBe(false);
    expect(config.approvals?.rules).toEqual([
      { policyRules: [PHI_RULE_NAMES.sql], approverGroups: ['approvers'] },
    ]);
  });

  it('denies PHI writes when nobody can approve', () => {
    const c = renderGatewayConfig({ ...spec, identity: { ...spec.identity, approverGroups: [] } });
    expect(c.policy?.rules?.find((r) => r.name === PHI_RULE_NAMES.sql)?.decision).toBe('deny');
    expect(c.approvals?.rules).toEqual([]);
  });

  it('grants agent groups everywhere and connection groups on their connection', () => {
    expect(config.access?.grants).toEqual([
      { name: 'warden.agent-groups', connections: ['*'], principals: { groups: ['agents'] } },
      { name: 'warden.conn.billing', connections: ['billing'], principals: { groups: ['finance'] } },
    ]);
  });

  it('copies storage into separate audit and recording prefixes', () => {
    expect(config.audit.sinks?.[0]).toMatchObject({ kind: 's3', prefix: 'audit/' });
    expect(config.recording?.sinks?.[0]).toMatchObject({ kind: 's3', prefix: 'recordings/' });
  });
});

describe('validateGatewayConfig', () => {
  it('names the prop of a bad policy rule', () => {
    const bad = renderGatewayConfig({
      ...spec,
      policy: { rules: [{ name: 'oops', decision: 'maybe' as 'allow' }] },
    });
    expect(() => validateGatewayConfig(bad, { source: 'Stack/Gateway' })).toThrow(
      /Stack\/Gateway.*\n.*prop policy\.rules\[0\]\.decision: expected one of/,
    );
  });

  it('names the connection of a bad connection field', () => {
    const bad = renderGatewayConfig({
      ...spec,
      connections: [
        {
          spec: {
            ...spec.connections[0]!.spec,
            name: 'ehr',
            phi: true,
            upstream: { host: '', database: 'x', user: 'u', password: 'env:P' },
          } as never,
        },
      ],
    });
    try {
      validateGatewayConfig(bad, { source: 's' });
      throw new Error('expected failure');
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayConfigError);
      expect((err as GatewayConfigError).issues).toEqual([
        expect.stringMatching(/^connection "ehr" upstream\.host: /),
      ]);
    }
  });

  it('validates a placeholder copy when substitute is given, leaving the original alone', () => {
    // What an unresolved CDK token looks like inside a string.
    const token = ['$', '{Token[TOKEN.1]}'].join('');
    const withToken = renderGatewayConfig({
      ...spec,
      secrets: { ...spec.secrets, auditSigningKey: `aws-secretsmanager:${token}` },
    });
    expect(() => validateGatewayConfig(withToken, { source: 's' })).toThrow(/audit\.signingKey/);
    const sub = (v: string) =>
      v.replace(token, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf');
    expect(() => validateGatewayConfig(withToken, { source: 's', substitute: sub })).not.toThrow();
    expect(withToken.audit.signingKey).toContain(token);
  });
});
