import { fail, ok, perResource } from '../rule';
import { block, blocks } from '../terraform-view';

const TEMPLATES = ['google_compute_instance_template', 'google_compute_region_instance_template'];

/** Compliant: every disk of an instance, template or standalone disk uses a customer-managed key. */
export const ComputeDiskCmek = perResource(
  'ComputeDiskCmek',
  [...TEMPLATES, 'google_compute_instance', 'google_compute_disk', 'google_compute_region_disk'],
  (r) => {
    let disks: { label: string; key: unknown }[];
    if (TEMPLATES.includes(r.type)) {
      disks = blocks(r.body, 'disk').map((d, i) => ({
        label: `disk[${i}]`,
        key: block(d, 'disk_encryption_key')?.kms_key_self_link,
      }));
    } else if (r.type === 'google_compute_instance') {
      disks = [
        { label: 'boot_disk', key: block(r.body, 'boot_disk')?.kms_key_self_link },
        ...blocks(r.body, 'attached_disk').map((d, i) => ({
          label: `attached_disk[${i}]`,
          key: d.kms_key_self_link,
        })),
      ];
    } else {
      disks = [{ label: 'disk', key: block(r.body, 'disk_encryption_key')?.kms_key_self_link }];
    }
    const missing = disks.filter((d) => !(typeof d.key === 'string' && d.key.length > 0));
    if (disks.length === 0) return fail('no disk declared with a customer-managed key');
    return missing.length === 0
      ? ok('every disk is encrypted with a customer-managed key')
      : fail(`without a customer-managed key: ${missing.map((d) => d.label).join(', ')}`);
  },
);
