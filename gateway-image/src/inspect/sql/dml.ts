import type { SqlClause } from '../facts';
import { asRangeVar, isObject, list, type PgNode, qualifiedName, str, unwrap } from './names';
import { type Collector, type Derived, emptyDerived, Scope } from './scope';
import { addRange, walkExpr, walkQuery, walkSelect, walkWith } from './walker';

/**
 * INSERT, UPDATE, DELETE and MERGE, at top level or as data-modifying CTEs. The target is
 * written (not read); columns of the target are reported against it with the clause that
 * names them (`set`, `values`, `where`, `returning`).
 */

/** Adds the target relation to `writes` and to the scope under its alias; returns its name. */
function target(stmt: PgNode, scope: Scope, c: Collector): string | undefined {
  const rv = asRangeVar(stmt.relation);
  if (!rv) return undefined;
  const relation = qualifiedName(rv, c.searchPath);
  c.writes.add(relation);
  const alias = isObject(rv.alias) ? str(rv.alias.aliasname) : undefined;
  scope.entries.push({ alias: alias ?? str(rv.relname) ?? '', relation });
  return relation;
}

/** Columns assigned by name (`SET a = …`, `INSERT (a, b)`), then their values. */
function assignments(
  targets: unknown,
  relation: string | undefined,
  scope: Scope,
  clause: SqlClause,
  c: Collector,
) {
  for (const t of list(targets)) {
    const rt = unwrap(t, 'ResTarget');
    if (!rt) continue;
    const name = str(rt.name);
    if (name) c.column(relation, name, clause);
    walkExpr([rt.indirection, rt.val], scope, clause, c);
  }
}

/** RETURNING: PostgreSQL 18 wraps the list in `returningClause.exprs`; earlier trees used `returningList`. */
function returning(stmt: PgNode, scope: Scope, c: Collector): Derived {
  const exprs = isObject(stmt.returningClause) ? stmt.returningClause.exprs : stmt.returningList;
  if (list(exprs).length === 0) return emptyDerived();
  return walkSelect({ targetList: exprs }, scope, c, 'returning');
}

export function hasReturning(stmt: PgNode): boolean {
  const exprs = isObject(stmt.returningClause) ? stmt.returningClause.exprs : stmt.returningList;
  return list(exprs).length > 0;
}

export function walkInsert(stmt: PgNode, parent: Scope, c: Collector): Derived {
  const scope = new Scope(parent);
  walkWith(stmt.withClause, scope, c);
  // The source query cannot see the target, so it is walked before the target joins the scope.
  walkQuery(stmt.selectStmt, scope, c);
  const relation = target(stmt, scope, c);
  assignments(stmt.cols, relation, scope, 'values', c);
  const conflict = stmt.onConflictClause;
  if (isObject(conflict)) {
    // ON CONFLICT … DO UPDATE sees the proposed row as `excluded`, a row of the target.
    if (relation) scope.entries.push({ alias: 'excluded', relation });
    walkExpr(conflict.infer, scope, 'other', c);
    assignments(conflict.targetList, relation, scope, 'set', c);
    walkExpr(conflict.whereClause, scope, 'where', c);
  }
  return returning(stmt, scope, c);
}

export function walkUpdate(stmt: PgNode, parent: Scope, c: Collector): Derived {
  const scope = new Scope(parent);
  walkWith(stmt.withClause, scope, c);
  const relation = target(stmt, scope, c);
  for (const item of list(stmt.fromClause)) addRange(item, scope, c);
  assignments(stmt.targetList, relation, scope, 'set', c);
  walkExpr(stmt.whereClause, scope, 'where', c);
  c.modifications.push(stmt.whereClause !== undefined);
  return returning(stmt, scope, c);
}

export function walkDelete(stmt: PgNode, parent: Scope, c: Collector): Derived {
  const scope = new Scope(parent);
  walkWith(stmt.withClause, scope, c);
  target(stmt, scope, c);
  for (const item of list(stmt.usingClause)) addRange(item, scope, c);
  walkExpr(stmt.whereClause, scope, 'where', c);
  c.modifications.push(stmt.whereClause !== undefined);
  return returning(stmt, scope, c);
}

export function walkMerge(stmt: PgNode, parent: Scope, c: Collector): Derived {
  const scope = new Scope(parent);
  walkWith(stmt.withClause, scope, c);
  const relation = target(stmt, scope, c);
  addRange(stmt.sourceRelation, scope, c);
  walkExpr(stmt.joinCondition, scope, 'join', c);
  for (const w of list(stmt.mergeWhenClauses)) {
    const when = unwrap(w, 'MergeWhenClause');
    if (!when) continue;
    walkExpr(when.condition, scope, 'where', c);
    const insert = when.commandType === 'CMD_INSERT';
    assignments(when.targetList, relation, scope, insert ? 'values' : 'set', c);
    walkExpr(when.values, scope, 'values', c);
  }
  return returning(stmt, scope, c);
}
