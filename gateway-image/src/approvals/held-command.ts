/**
 * What an approver is shown of a held command, from the facts policy decided on, whatever the
 * protocol: a text with no values in it (SQL with placeholders, a masked command line, a method
 * and path with query parameter names, a request as RBAC names it), a fingerprint that groups
 * commands of the same shape, and for SQL a summary of each statement.
 */
import { createHash } from 'node:crypto';
import type { Facts, SqlFacts } from '../inspect/facts';
import type { StatementSummary } from './model';

export interface HeldCommand {
  readonly protocol: Facts['protocol'];
  readonly text: string;
  readonly fingerprint: string;
  readonly statements?: readonly StatementSummary[];
}

export function heldCommand(facts: Facts): HeldCommand {
  if (facts.protocol === 'postgres') {
    return {
      protocol: 'postgres',
      text: facts.normalized,
      fingerprint: facts.fingerprint,
      statements: summarize(facts),
    };
  }
  const text = commandText(facts);
  return { protocol: facts.protocol, text, fingerprint: sha256(text).slice(0, 16) };
}

function commandText(facts: Exclude<Facts, SqlFacts>): string {
  switch (facts.protocol) {
    case 'ssh':
      return facts.commandLine ?? `${facts.mode}${facts.subsystem ? ` ${facts.subsystem}` : ''}`;
    case 'http':
      return `${facts.method} ${facts.path}${facts.query.length > 0 ? `?${facts.query.join('&')}` : ''}`;
    case 'kubernetes': {
      const what = [facts.resource, facts.subresource].filter(Boolean).join('/');
      const where = [facts.namespace, facts.name].filter(Boolean).join('/');
      const line = facts.command?.commandLine;
      return `kubectl ${facts.verb} ${what}${where ? ` ${where}` : ''}${line ? ` -- ${line}` : ''}`;
    }
  }
}

export function summarize(facts: SqlFacts): StatementSummary[] {
  return facts.statements.map((s) => ({
    kind: s.kind,
    reads: [...s.reads],
    writes: [...s.writes],
    columns: [...new Set(s.columns.map((c) => (c.relation ? `${c.relation}.${c.column}` : c.column)))],
    functions: [...s.functions],
    ...(s.hasWhere === undefined ? {} : { hasWhere: s.hasWhere }),
    returnsRows: s.returnsRows,
  }));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
