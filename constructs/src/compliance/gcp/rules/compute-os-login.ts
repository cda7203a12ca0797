import { fail, ok, perResource, unknown } from '../rule';
import { isObject, isUnresolved, type TerraformView } from '../terraform-view';
import { VM_TYPES } from './compute-no-external-ip';

/**
 * Compliant: SSH to the VM goes through OS Login (IAM identities, audited), project-wide SSH keys
 * are blocked and the interactive serial console is off. OS Login may come from project metadata.
 */
export const ComputeOsLogin = perResource('ComputeOsLogin', VM_TYPES, (r, view) => {
  const md = isObject(r.body.metadata) ? r.body.metadata : {};
  const value = (k: string) => md[k] ?? projectMetadata(view, k);
  const values = ['enable-oslogin', 'block-project-ssh-keys', 'serial-port-enable'].map(value);
  if (values.some(isUnresolved)) return unknown('a metadata value is only known at apply');
  const [osLogin, blockKeys, serial] = values.map((v) => String(v ?? '').toLowerCase());
  const problems = [
    osLogin !== 'true' && 'enable-oslogin is not TRUE',
    blockKeys !== 'true' && 'block-project-ssh-keys is not TRUE',
    (serial === 'true' || serial === '1') && 'serial-port-enable is on',
  ].filter(Boolean);
  return problems.length === 0
    ? ok('OS Login on, project SSH keys blocked, serial port off')
    : fail(problems.join('; '));
});

function projectMetadata(view: TerraformView, key: string): unknown {
  for (const item of view.resources('google_compute_project_metadata_item')) {
    if (item.body.key === key) return item.body.value;
  }
  for (const pm of view.resources('google_compute_project_metadata')) {
    if (isObject(pm.body.metadata) && key in pm.body.metadata) return pm.body.metadata[key];
  }
  return undefined;
}
