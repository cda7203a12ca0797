import { ComputeInstanceTemplate } from '@cdktf/provider-google/lib/compute-instance-template';
import { ComputeProjectMetadataItem } from '@cdktf/provider-google/lib/compute-project-metadata-item';
import { SqlDatabaseInstance } from '@cdktf/provider-google/lib/sql-database-instance';
import type { TerraformStack } from 'cdktf';
import { findingsOf, statuses } from './helpers';

const HARDENED = {
  machineType: 'e2-small',
  disk: [{ sourceImage: 'cos' }],
  networkInterface: [{ network: 'default' }],
  shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
  metadata: { 'enable-oslogin': 'TRUE', 'block-project-ssh-keys': 'TRUE', 'serial-port-enable': 'FALSE' },
};

function template(s: TerraformStack, overrides: Record<string, unknown> = {}) {
  return new ComputeInstanceTemplate(s, 't', { ...HARDENED, ...overrides });
}

describe('ComputeNoExternalIp', () => {
  it('passes an interface without access_config', () => {
    expect(statuses(findingsOf('ComputeNoExternalIp', (s) => template(s)))).toEqual(['compliant']);
  });
  it('fails an interface with an ephemeral external IP', () => {
    const f = findingsOf('ComputeNoExternalIp', (s) =>
      template(s, { networkInterface: [{ network: 'default', accessConfig: [{}] }] }),
    );
    expect(statuses(f)).toEqual(['non-compliant']);
  });
});

describe('ComputeShieldedVm', () => {
  it('passes secure boot with vTPM and integrity monitoring', () => {
    expect(statuses(findingsOf('ComputeShieldedVm', (s) => template(s)))).toEqual(['compliant']);
  });
  it('fails without secure boot or with vTPM off', () => {
    const f = findingsOf('ComputeShieldedVm', (s) =>
      template(s, { shieldedInstanceConfig: { enableSecureBoot: false, enableVtpm: false } }),
    );
    expect(f[0]).toMatchObject({
      status: 'non-compliant',
      message: 'Shielded VM off: enable_secure_boot, enable_vtpm',
    });
  });
});

describe('ComputeOsLogin', () => {
  it('passes OS Login with project keys blocked and the serial port off', () => {
    expect(statuses(findingsOf('ComputeOsLogin', (s) => template(s)))).toEqual(['compliant']);
  });
  it('accepts OS Login enabled in project metadata', () => {
    const f = findingsOf('ComputeOsLogin', (s) => {
      new ComputeProjectMetadataItem(s, 'os', { key: 'enable-oslogin', value: 'TRUE' });
      template(s, { metadata: { 'block-project-ssh-keys': 'TRUE' } });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails a serial console and project-wide keys', () => {
    const f = findingsOf('ComputeOsLogin', (s) =>
      template(s, { metadata: { 'enable-oslogin': 'TRUE', 'serial-port-enable': 'TRUE' } }),
    );
    expect(f[0]).toMatchObject({
      status: 'non-compliant',
      message: 'block-project-ssh-keys is not TRUE; serial-port-enable is on',
    });
  });
});

function sql(s: TerraformStack, ipConfiguration: Record<string, unknown> | undefined) {
  return new SqlDatabaseInstance(s, 'db', {
    databaseVersion: 'POSTGRES_16',
    settings: { tier: 'db-custom-1-3840', ...(ipConfiguration ? { ipConfiguration } : {}) },
  });
}

describe('SqlInstanceNoPublicIp', () => {
  it('passes private IP only', () => {
    const f = findingsOf('SqlInstanceNoPublicIp', (s) =>
      sql(s, { ipv4Enabled: false, privateNetwork: 'projects/p1/global/networks/vpc' }),
    );
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails the default (public IP) and authorized networks', () => {
    const f = findingsOf('SqlInstanceNoPublicIp', (s) => {
      sql(s, { authorizedNetworks: [{ value: '0.0.0.0/0' }] });
    });
    expect(f[0]).toMatchObject({
      status: 'non-compliant',
      message:
        'ipv4_enabled is not false (public IP); no private_network; authorized_networks admit other sources',
    });
  });
});

describe('SqlInstanceSslRequired', () => {
  it('passes ENCRYPTED_ONLY', () => {
    const f = findingsOf('SqlInstanceSslRequired', (s) => sql(s, { sslMode: 'ENCRYPTED_ONLY' }));
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails when unset or ALLOW_UNENCRYPTED_AND_ENCRYPTED', () => {
    const f = findingsOf('SqlInstanceSslRequired', (s) =>
      sql(s, { sslMode: 'ALLOW_UNENCRYPTED_AND_ENCRYPTED' }),
    );
    expect(statuses(f)).toEqual(['non-compliant']);
    expect(statuses(findingsOf('SqlInstanceSslRequired', (s) => sql(s, undefined)))).toEqual([
      'non-compliant',
    ]);
  });
});
