import type { SqlClause } from '../facts';
import { walkDelete, walkInsert, walkMerge, walkUpdate } from './dml';
import {
  asRangeVar,
  isObject,
  list,
  type PgNode,
  qualifiedName,
  str,
  stringList,
  tagOf,
  unwrap,
} from './names';
import { type Collector, type Derived, emptyDerived, type RangeEntry, Scope, type Source } from './scope';
import { isSinkFunction } from './sinks';

/**
 * Walks an expression (or any subtree) and records what it references. Nodes with meaning for
 * facts are handled by tag; everything else is descended generically, so a construct the walker
 * does not know still yields its relations, columns and functions rather than hiding them.
 */
export function walkExpr(node: unknown, scope: Scope, clause: SqlClause, c: Collector): void {
  if (Array.isArray(node)) {
    for (const n of node) walkExpr(n, scope, clause, c);
    return;
  }
  if (!isObject(node)) return;
  const tag = tagOf(node);
  const body = tag ? (node[tag] as PgNode) : node;
  switch (tag) {
    case 'ColumnRef':
      resolveColumn(body.fields, scope, clause, c);
      return;
    case 'FuncCall': {
      const name = c.fn(body.funcname);
      // What flows into a function that keeps it where other sessions can read it is a copy.
      walkExpr(body.args, scope, isSinkFunction(name) ? 'sink' : clause, c);
      walkExpr([body.agg_order, body.agg_filter], scope, clause, c);
      if (isObject(body.over)) walkWindow(body.over, scope, c);
      return;
    }
    case 'SubLink':
      walkExpr(body.testexpr, scope, clause, c);
      // A subquery's output used in a predicate is itself a predicate (`ssn IN (SELECT …)`).
      walkQuery(body.subselect, scope, c, clause === 'select' ? undefined : clause);
      return;
    case 'SelectStmt':
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      walkQuery(node, scope, c);
      return;
    case 'WindowDef':
      walkWindow(body, scope, c);
      return;
  }
  const rv = asRangeVar(node);
  if (rv) {
    // A relation in a position the walker has no rule for: count it as read (fail towards seeing more).
    c.reads.add(qualifiedName(rv, c.searchPath));
    return;
  }
  for (const v of Object.values(body)) if (typeof v === 'object') walkExpr(v, scope, clause, c);
}

function walkWindow(w: PgNode, scope: Scope, c: Collector): void {
  walkExpr([w.partitionClause, w.orderClause, w.startOffset, w.endOffset], scope, 'window', c);
}

/** Walks a wrapped query node and returns its output, for subqueries, CTEs and RETURNING. */
export function walkQuery(node: unknown, scope: Scope, c: Collector, targetClause?: SqlClause): Derived {
  const tag = tagOf(node);
  const body = tag ? (node as PgNode)[tag] : undefined;
  if (!isObject(body)) return emptyDerived();
  switch (tag) {
    case 'SelectStmt':
      return walkSelect(body, scope, c, targetClause);
    case 'InsertStmt':
      return walkInsert(body, scope, c);
    case 'UpdateStmt':
      return walkUpdate(body, scope, c);
    case 'DeleteStmt':
      return walkDelete(body, scope, c);
    case 'MergeStmt':
      return walkMerge(body, scope, c);
    default:
      walkExpr(node, scope, 'other', c);
      return emptyDerived();
  }
}

/**
 * Walks a SELECT (a bare SelectStmt body). `targetClause` overrides the clause of the select
 * list when the whole query sits in a predicate.
 */
export function walkSelect(sel: PgNode, parent: Scope, c: Collector, targetClause?: SqlClause): Derived {
  const scope = new Scope(parent);
  walkWith(sel.withClause, scope, c);
  const into = isObject(sel.intoClause) ? asRangeVar(sel.intoClause.rel) : undefined;
  if (into) c.writes.add(qualifiedName(into, c.searchPath));
  if (sel.op && sel.op !== 'SETOP_NONE') {
    // UNION / INTERSECT / EXCEPT: the branches are bare SelectStmt bodies; names come from the left.
    const left = isObject(sel.larg) ? walkSelect(sel.larg, scope, c, targetClause) : emptyDerived();
    if (isObject(sel.rarg)) walkSelect(sel.rarg, scope, c, targetClause);
    // The branches' FROM items are out of scope here; only the output positions can be named.
    walkOrdering(sel.sortClause, outputsOf(sel), new Scope(scope), 'order', c);
    walkExpr([sel.limitCount, sel.limitOffset], scope, 'other', c);
    return left;
  }
  walkExpr(sel.valuesLists, scope, 'values', c);
  for (const item of list(sel.fromClause)) addRange(item, scope, c);
  const out = emptyDerived();
  for (const t of list(sel.targetList)) {
    const rt = unwrap(t, 'ResTarget');
    if (!rt) continue;
    const start = c.columns.length;
    walkExpr(rt.val, scope, targetClause ?? 'select', c);
    const sources: Source[] = c.columns
      .slice(start)
      .map((col) => ({ relation: col.relation, column: col.column }));
    const name = str(rt.name) ?? outputName(rt.val);
    if (name) out.outputs.set(name, sources);
    else out.stars.push(...sources.filter((s) => s.column === '*'));
  }
  walkExpr(sel.whereClause, scope, 'where', c);
  const outputs = outputsOf(sel);
  walkOrdering(sel.groupClause, outputs, scope, 'group', c);
  walkExpr(sel.havingClause, scope, 'having', c);
  walkExpr(sel.windowClause, scope, 'window', c);
  walkOrdering(sel.sortClause, outputs, scope, 'order', c);
  // DISTINCT ON groups rows by its expressions, so it discloses as much as GROUP BY.
  walkOrdering(sel.distinctClause, outputs, scope, 'group', c);
  walkExpr([sel.limitCount, sel.limitOffset, sel.lockingClause], scope, 'other', c);
  return out;
}

/** The select-list entries of a SELECT (of its leftmost branch for UNION / INTERSECT / EXCEPT). */
function outputsOf(sel: PgNode): { readonly name: string | undefined; readonly val: unknown }[] {
  if (sel.op && sel.op !== 'SETOP_NONE' && isObject(sel.larg)) return outputsOf(sel.larg);
  return list(sel.targetList).flatMap((t) => {
    const rt = unwrap(t, 'ResTarget');
    return rt ? [{ name: str(rt.name) ?? outputName(rt.val), val: rt.val }] : [];
  });
}

/**
 * ORDER BY, GROUP BY and DISTINCT ON items. Besides expressions they may name a select-list entry
 * by position (`ORDER BY 1`) or by output name (`ORDER BY s` for `ssn AS s`): the entry's own
 * expression then orders or groups the rows, and is what the clause discloses. A position makes
 * the facts depend on a literal, which the collector notes (the shape cache must not share them).
 */
function walkOrdering(
  items: unknown,
  outputs: readonly { readonly name: string | undefined; readonly val: unknown }[],
  scope: Scope,
  clause: SqlClause,
  c: Collector,
): void {
  for (const item of list(items)) {
    const sortBy = unwrap(item, 'SortBy');
    const expr = sortBy ? sortBy.node : item;
    const set = unwrap(expr, 'GroupingSet');
    if (set) {
      walkOrdering(set.content, outputs, scope, clause, c);
      continue;
    }
    const k = unwrap(expr, 'A_Const');
    if (k && isObject(k.ival)) {
      const position = typeof k.ival.ival === 'number' ? k.ival.ival : 0;
      c.literalDependent = true;
      const entry = outputs[position - 1];
      if (entry) walkExpr(entry.val, scope, clause, c);
      continue;
    }
    const ref = unwrap(expr, 'ColumnRef');
    const names = ref ? stringList(ref.fields) : [];
    if (names.length === 1) {
      // An input column of the same name may win instead (GROUP BY): count both.
      for (const entry of outputs)
        if (entry.name === names[0] && entry.val !== expr) walkExpr(entry.val, scope, clause, c);
    }
    walkExpr(item, scope, clause, c);
  }
}

/** The name PostgreSQL gives an unnamed select-list entry: a column's name or a function's name. */
function outputName(val: unknown): string | undefined {
  const col = unwrap(val, 'ColumnRef');
  if (col) {
    const fields = list(col.fields);
    const last = unwrap(fields[fields.length - 1], 'String');
    return str(last?.sval);
  }
  const tc = unwrap(val, 'TypeCast');
  if (tc) return outputName(tc.arg);
  const fc = unwrap(val, 'FuncCall');
  return fc ? stringList(fc.funcname).pop() : undefined;
}

export function walkWith(withClause: unknown, scope: Scope, c: Collector): void {
  if (!isObject(withClause)) return;
  for (const item of list(withClause.ctes)) {
    const cte = unwrap(item, 'CommonTableExpr');
    const name = str(cte?.ctename);
    if (!cte || !name) continue;
    // A recursive CTE refers to itself; its own name must not be read as a table.
    if (withClause.recursive) scope.ctes.set(name, emptyDerived());
    const d = walkQuery(cte.ctequery, scope, c);
    const colnames = stringList(cte.aliascolnames);
    const renamed = colnames.length > 0 ? renameOutputs(d, colnames) : d;
    scope.ctes.set(name, renamed);
  }
}

function renameOutputs(d: Derived, names: readonly string[]): Derived {
  const values = [...d.outputs.values()];
  const outputs = new Map<string, Source[]>();
  names.forEach((n, i) => {
    outputs.set(n, values[i] ?? []);
  });
  return { outputs, stars: d.stars };
}

/** Adds one FROM item to the scope: relations are read, subqueries walked, join conditions recorded. */
export function addRange(item: unknown, scope: Scope, c: Collector): void {
  const tag = tagOf(item);
  const body = tag ? ((item as PgNode)[tag] as PgNode) : undefined;
  if (!body) return;
  const alias = isObject(body.alias) ? str(body.alias.aliasname) : undefined;
  switch (tag) {
    case 'RangeVar': {
      const rel = str(body.relname) ?? '';
      const cte = body.schemaname ? undefined : scope.findCte(rel);
      if (cte) {
        scope.entries.push({ alias: alias ?? rel, derived: cte });
        return;
      }
      const relation = qualifiedName(body, c.searchPath);
      c.reads.add(relation);
      scope.entries.push({ alias: alias ?? rel, relation });
      return;
    }
    case 'JoinExpr':
      addRange(body.larg, scope, c);
      addRange(body.rarg, scope, c);
      walkExpr(body.quals, scope, 'join', c);
      // USING (x) compares x of both sides; which side owns x is unknown without the catalog.
      for (const col of stringList(body.usingClause)) c.column(undefined, col, 'join');
      return;
    case 'RangeSubselect': {
      const derived = walkQuery(body.subquery, scope, c);
      scope.entries.push({ alias: alias ?? '', derived });
      return;
    }
    case 'RangeTableSample':
      addRange(body.relation, scope, c);
      walkExpr([body.args, body.repeatable], scope, 'other', c);
      return;
    default:
      // RangeFunction, XMLTABLE, JSON_TABLE: functions and their arguments.
      walkExpr(body, scope, 'other', c);
      if (alias) scope.entries.push({ alias });
  }
}

/** Records a ColumnRef, resolving its relation through aliases, the single FROM item, and derived tables. */
function resolveColumn(fieldsNode: unknown, scope: Scope, clause: SqlClause, c: Collector): void {
  const fields = list(fieldsNode);
  const star = fields.length > 0 && unwrap(fields[fields.length - 1], 'A_Star') !== undefined;
  const names = stringList(fields);
  if (star && names.length === 0) {
    for (const e of scope.nearestEntries()) emitEntry(e, '*', clause, c);
    return;
  }
  if (star) {
    const e = findQualifier(names, scope);
    if (e) emitEntry(e, '*', clause, c);
    else c.column(undefined, '*', clause);
    return;
  }
  if (names.length === 1) {
    const name = names[0]!;
    // A bare name equal to a FROM alias is a whole-row reference (`row_to_json(p)`): all columns.
    const whole = scope.findAlias(name);
    const near = scope.nearestEntries();
    if (whole) emitEntry(whole, '*', clause, c);
    else if (near.length === 1) emitEntry(near[0]!, name, clause, c);
    else c.column(undefined, name, clause);
    return;
  }
  const column = names[names.length - 1]!;
  const e = findQualifier(names.slice(0, -1), scope);
  if (e) emitEntry(e, column, clause, c);
  else c.column(undefined, column, clause);
}

/** The entry a qualifier names: `p` (alias or table name) or `schema.table`. */
function findQualifier(qual: readonly string[], scope: Scope): RangeEntry | undefined {
  if (qual.length === 1) return scope.findAlias(qual[0]!);
  const wanted = qual.slice(-2).join('.');
  let s: Scope | undefined = scope;
  while (s) {
    const hit = s.entries.find((e) => e.relation === wanted);
    if (hit) return hit;
    s = s.parent;
  }
  return undefined;
}

function emitEntry(e: RangeEntry, column: string, clause: SqlClause, c: Collector): void {
  const d = e.derived;
  if (e.relation || !d) {
    c.column(e.relation, column, clause);
    return;
  }
  const sources = column === '*' ? [...[...d.outputs.values()].flat(), ...d.stars] : d.outputs.get(column);
  // A known output (even one computed from no column, `1 AS x`) yields exactly its sources.
  if (sources && (sources.length > 0 || column !== '*')) {
    for (const s of sources) c.column(s.relation, s.column, clause);
    return;
  }
  const starRelations = d.stars.filter((s) => s.relation !== undefined);
  c.column(starRelations.length === 1 ? starRelations[0]!.relation : undefined, column, clause);
}
