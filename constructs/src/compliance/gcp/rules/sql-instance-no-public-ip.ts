import { fail, ok, perResource, unknown } from '../rule';
import { block, blocks, flag } from '../terraform-view';

/** Compliant: the instance has no public IPv4 address, a private network, and no authorized networks. */
export const SqlInstanceNoPublicIp = perResource(
  'SqlInstanceNoPublicIp',
  ['google_sql_database_instance'],
  (r) => {
    const ip = block(block(r.body, 'settings'), 'ip_configuration');
    // The provider's default for ipv4_enabled is true: an absent block means a public IP.
    const ipv4 = flag(ip?.ipv4_enabled) ?? true;
    if (ipv4 === 'unresolved') return unknown('ipv4_enabled is only known at apply');
    const problems = [
      ipv4 && 'ipv4_enabled is not false (public IP)',
      !ip?.private_network && 'no private_network',
      blocks(ip, 'authorized_networks').length > 0 && 'authorized_networks admit other sources',
    ].filter(Boolean);
    return problems.length === 0 ? ok('private IP only') : fail(problems.join('; '));
  },
);
