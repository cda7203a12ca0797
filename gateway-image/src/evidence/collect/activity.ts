/** Per UTC day: sessions started, commands attempted, attempts refused, commands held. */
import type { AuditEvent } from '../../audit/event';
import type { DayActivity } from '../model';
import { dayOf } from '../period';
import { type Collector, decisionOf, isAttempt } from './collector';

type Mutable = { -readonly [K in keyof DayActivity]: DayActivity[K] };

export class ActivityCollector implements Collector<DayActivity[]> {
  private readonly days = new Map<string, Mutable>();

  add(e: AuditEvent): void {
    const day = dayOf(e.time);
    const entry = this.days.get(day) ?? { day, sessions: 0, commands: 0, denied: 0, held: 0 };
    this.days.set(day, entry);
    if (e.type === 'session.start') entry.sessions++;
    else if (e.type === 'approval.requested') entry.held++;
    else if (isAttempt(e)) {
      entry.commands++;
      const d = decisionOf(e);
      if (!d || d.outcome === 'deny') entry.denied++;
    }
  }

  result(): DayActivity[] {
    return [...this.days.values()].sort((a, b) => a.day.localeCompare(b.day));
  }
}
