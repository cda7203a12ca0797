import { fail, ok, perResource } from '../rule';
import { blocks } from '../terraform-view';

export const VM_TYPES = [
  'google_compute_instance',
  'google_compute_instance_template',
  'google_compute_region_instance_template',
];

/** Compliant: no network interface has an access_config (external IPv4) or an external IPv6 config. */
export const ComputeNoExternalIp = perResource('ComputeNoExternalIp', VM_TYPES, (r) => {
  const nics = blocks(r.body, 'network_interface');
  const external = nics
    .map((nic, i) => ({
      i,
      v4: blocks(nic, 'access_config').length,
      v6: blocks(nic, 'ipv6_access_config').length,
    }))
    .filter((n) => n.v4 > 0 || n.v6 > 0);
  return external.length === 0
    ? ok('no external IP on any network interface')
    : fail(`external IP on network_interface[${external.map((n) => n.i).join(', ')}]`);
});
