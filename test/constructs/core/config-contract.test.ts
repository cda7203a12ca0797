/**
 * The construct package validates with the JSON Schema it ships, not with the gateway's code: these
 * tests keep the two the same contract. The shipped schema is what `warden config schema` prints,
 * the shipped types are generated from it, and on valid and invalid configs alike the package's
 * validation agrees with the gateway's (same defaults, same problems at the same paths).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONTRACT_FILE,
  readSchema,
  renderContract,
  SCHEMA_FILE,
} from '../../../constructs/scripts/config-contract';
import type { WardenConfig, WardenConfigInput } from '../../../constructs/src/core';
import type {
  WardenConfigInput as GatewayInput,
  WardenConfig as GatewayOutput,
} from '../../../gateway-image/src/config';
import { validateConfig as gatewayValidate } from '../../../gateway-image/src/config';
import { configIssues, formatPathForTest, validateWardenConfig } from './contract-support';

const root = join(__dirname, '..', '..', '..');
const example = (): Record<string, unknown> =>
  JSON.parse(readFileSync(join(root, 'examples/local/warden.json'), 'utf8'));

// Compile-time: whatever the gateway's parser produces fits the package's types, so compliance
// checks written against WardenConfig read real fields; a config the gateway accepts as input
// type-checks as the package's input.
const _output: (c: GatewayOutput) => WardenConfig = (c) => c;
const _input: (c: GatewayInput) => WardenConfigInput = (c) => c;
void _output;
void _input;

describe('the shipped config contract', () => {
  it('ships exactly the schema `warden config schema` prints', () => {
    const r = spawnSync(process.execPath, [join(root, 'gateway-image/bin/warden.js'), 'config', 'schema'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(JSON.parse(r.stdout));
  });

  it('ships types generated from that schema (npx tsx constructs/scripts/config-contract.ts)', () => {
    expect(readFileSync(CONTRACT_FILE, 'utf8')).toBe(renderContract(readSchema()));
  });

  it('fills in the same defaults as the gateway', () => {
    expect(validateWardenConfig(example())).toEqual(gatewayValidate(example()));
  });
});

// biome-ignore lint/suspicious/noExplicitAny: mutations reach into arbitrary paths of an example JSON file
type LooseConfig = any;
type Mutation = [string, (c: LooseConfig) => void];

/** Mistakes a config author makes; each must fail both validators, at the same paths. */
const MUTATIONS: Mutation[] = [
  ['unknown decision', (c) => (c.policy.rules[0].decision = 'hold')],
  ['misspelt rule key', (c) => (c.policy.rules[0].decisions = 'deny')],
  ['rule on an unknown connection', (c) => (c.policy.rules[0].connections = ['nope'])],
  ['duplicate rule name', (c) => c.policy.rules.push({ ...c.policy.rules[0] })],
  [
    'approval for an unknown rule',
    (c) => c.approvals.rules.push({ policyRules: ['nope'], approverGroups: ['a'] }),
  ],
  ['unknown SQL kind', (c) => (c.policy.rules[0].sql = { kinds: ['selekt'] })],
  ['unknown SSH feature', (c) => (c.policy.rules[0].ssh = { features: ['teleport'] })],
  ['negative body size', (c) => (c.policy.rules[0].http = { minBodyBytes: -1 })],
  ['unknown principal kind', (c) => (c.policy.rules[0].principals = { kinds: ['robot'] })],
  ['unknown masking strategy', (c) => (c.masking.profiles[0].default = 'scramble')],
  ['password written in clear', (c) => (c.connections[0].upstream.password = 'hunter2')],
  ['classification key not schema.table.column', (c) => (c.connections[0].classification = { ssn: 'SSN' })],
  ['unknown PHI entity', (c) => (c.connections[0].classification = { 'public.p.ssn': 'SOCIAL' })],
  ['connection name in capitals', (c) => (c.connections[0].name = 'Patients')],
  ['duplicate connection name', (c) => (c.connections[1].name = c.connections[0].name)],
  [
    'brokered role declared as upstream.user again',
    (c) => (c.connections[0].roles = [{ user: c.connections[0].upstream.user, password: 'env:R' }]),
  ],
  [
    'brokered role with an unknown principal kind',
    (c) => (c.connections[0].roles = [{ user: 'r', password: 'env:R', principals: { kinds: ['robot'] } }]),
  ],
  ['unknown connection kind', (c) => (c.connections[0].kind = 'mysql')],
  ['port out of range', (c) => (c.connections[0].upstream.port = 70000)],
  ['upstream TLS mode unknown', (c) => (c.connections[0].upstream.tls = { mode: 'prefer' })],
  ['admin listener exposed without TLS', (c) => (c.listeners.admin = { host: '0.0.0.0', port: 9999 })],
  [
    'two listeners on one port',
    (c) => {
      c.listeners.postgres.port = 15432;
      c.listeners.http.port = 15432;
    },
  ],
  ['session tokens living two hours', (c) => (c.identity.sessionTokens.lifetimeSec = 7200)],
  ['no issuer', (c) => (c.identity.issuers = [])],
  ['issuer not a URL', (c) => (c.identity.issuers[0].issuer = 'not a url')],
  ['no audit signing key', (c) => delete c.audit.signingKey],
  ['zero workers', (c) => (c.workers = 0)],
  ['unknown version', (c) => (c.version = 2)],
  ['unknown top-level key', (c) => (c.polcy = {})],
];

function gatewayPaths(config: unknown): string[] {
  try {
    gatewayValidate(config);
    return [];
  } catch (err) {
    return ((err as { issues: string[] }).issues ?? []).map((i) => i.slice(0, i.indexOf(': ')));
  }
}

describe('validation is as strict as the gateway', () => {
  it.each(MUTATIONS)('%s', (_name, mutate) => {
    const config = example();
    mutate(config);
    const gateway = gatewayPaths(config);
    expect(gateway.length).toBeGreaterThan(0);
    const mine = configIssues(config).issues.map((i) => formatPathForTest(i.path));
    expect(new Set(mine)).toEqual(new Set(gateway));
  });

  it('never echoes a value that should have been a secret reference', () => {
    const config: LooseConfig = example();
    config.connections[0].upstream.password = 'hunter2-secret';
    expect(() => validateWardenConfig(config)).toThrow(/not shown/);
    try {
      validateWardenConfig(config);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2');
    }
  });
});
