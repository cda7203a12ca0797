/**
 * How many values were masked, per connection and entity: classified Postgres columns and
 * detector hits (`mask` events), HTTP JSON fields and detections (`request.result`), SSH output
 * by column, member or detector (`command.result`). Counts only; the log holds no values.
 */

import type { Counts } from '../../audit/bodies';
import type { AuditEvent } from '../../audit/event';
import type { MaskingEvidence } from '../model';
import type { Collector } from './collector';

/** "SSN:partial", "NAME/field", "PHI:redact" → the entity before the strategy or origin. */
const entityOfKey = (key: string) => key.split(/[:/]/, 1)[0] || key;

export class MaskingCollector implements Collector<MaskingEvidence[]> {
  private readonly counts = new Map<string, MaskingEvidence>();

  add(e: AuditEvent): void {
    const connection = e.connection ?? 'unknown';
    if (e.type === 'mask') {
      // Columns shown raw to a profile are counted too: the report says what left unmasked.
      for (const c of e.body.via === 'notice' ? [] : e.body.columns)
        this.bump(connection, c.strategy === 'raw' ? `${c.entity} (raw)` : c.entity, c.values);
      this.bumpKeys(connection, e.body.detections);
    } else if (e.type === 'request.result' || e.type === 'command.result') {
      this.bumpKeys(connection, e.body.masked);
    }
  }

  result(): MaskingEvidence[] {
    return [...this.counts.values()].sort(
      (a, b) =>
        a.connection.localeCompare(b.connection) || b.values - a.values || a.entity.localeCompare(b.entity),
    );
  }

  private bumpKeys(connection: string, counts: Counts | undefined): void {
    for (const [key, n] of Object.entries(counts ?? {})) {
      this.bump(connection, key.endsWith(':raw') ? `${entityOfKey(key)} (raw)` : entityOfKey(key), n);
    }
  }

  private bump(connection: string, entity: string, n: number): void {
    const key = `${connection}\u0000${entity}`;
    const prev = this.counts.get(key);
    this.counts.set(key, { connection, entity, values: (prev?.values ?? 0) + n });
  }
}
