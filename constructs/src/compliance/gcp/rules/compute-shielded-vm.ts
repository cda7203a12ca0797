import { fail, ok, perResource, unknown } from '../rule';
import { block, flag } from '../terraform-view';
import { VM_TYPES } from './compute-no-external-ip';

/**
 * Compliant: secure boot on, and vTPM and integrity monitoring not turned off (both default on in
 * the provider), so a tampered boot chain stops the VM or shows in integrity reports.
 */
export const ComputeShieldedVm = perResource('ComputeShieldedVm', VM_TYPES, (r) => {
  const cfg = block(r.body, 'shielded_instance_config');
  const secureBoot = flag(cfg?.enable_secure_boot);
  const vtpm = flag(cfg?.enable_vtpm) ?? true;
  const integrity = flag(cfg?.enable_integrity_monitoring) ?? true;
  if ([secureBoot, vtpm, integrity].includes('unresolved'))
    return unknown('a shielded setting is only known at apply');
  const off = [
    secureBoot !== true && 'enable_secure_boot',
    vtpm !== true && 'enable_vtpm',
    integrity !== true && 'enable_integrity_monitoring',
  ].filter(Boolean);
  return off.length === 0
    ? ok('Shielded VM: secure boot, vTPM, integrity monitoring')
    : fail(`Shielded VM off: ${off.join(', ')}`);
});
