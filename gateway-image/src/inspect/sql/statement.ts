import type { SqlStatementFacts, SqlStatementKind } from '../facts';
import { hasReturning } from './dml';
import { DDL_TARGET_FIELDS, DROPPED_RELATIONS, kindOf } from './kinds';
import {
  asRangeVar,
  isObject,
  list,
  type PgNode,
  qualifiedFromList,
  qualifiedName,
  str,
  stringList,
  tagOf,
  unwrap,
} from './names';
import { Collector, Scope } from './scope';
import { type SettingChange, settingChanges } from './settings';
import { walkExpr, walkQuery } from './walker';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Extra = Partial<
  Mutable<Omit<SqlStatementFacts, 'reads' | 'writes' | 'columns' | 'functions' | 'settings'>>
>;

/**
 * Facts of one top-level statement (a wrapped node such as `{ SelectStmt: … }`). `changes`: its
 * setting changes when the caller has them already.
 */
export function inspectStatement(
  stmt: PgNode,
  searchPath: readonly string[],
  changes: readonly SettingChange[] = settingChanges(stmt),
  dependence?: { literalDependent: boolean },
): SqlStatementFacts {
  const node = tagOf(stmt) ?? 'Unknown';
  const body = (stmt[node] ?? {}) as PgNode;
  const c = new Collector(searchPath);
  const extra = walkStatement(node, stmt, body, c);
  const kind: SqlStatementKind = extra.kind ?? kindOf(node);
  const facts: Mutable<SqlStatementFacts> = {
    kind,
    node: extra.node ?? node,
    reads: [...c.reads],
    writes: [...c.writes],
    columns: c.uniqueColumns(),
    functions: [...c.functions],
    opaque: extra.opaque ?? c.opaque,
    returnsRows: extra.returnsRows ?? false,
  };
  // hasWhere covers every UPDATE/DELETE in the statement, data-modifying CTEs included.
  const hasWhere =
    extra.hasWhere ?? (c.modifications.length > 0 ? c.modifications.every(Boolean) : undefined);
  if (hasWhere !== undefined) facts.hasWhere = hasWhere;
  if (extra.copy) facts.copy = extra.copy;
  if (extra.setting) facts.setting = extra.setting;
  const settings = [...new Set(changes.map((c) => c.name))];
  if (settings.length > 0) facts.settings = settings;
  // A setting's name and value are literals (SET's value, set_config's arguments).
  if (dependence && (c.literalDependent || changes.length > 0)) dependence.literalDependent = true;
  return facts;
}

function walkStatement(node: string, stmt: PgNode, body: PgNode, c: Collector): Extra {
  const scope = new Scope();
  switch (node) {
    case 'SelectStmt':
      walkQuery(stmt, scope, c);
      // SELECT … INTO creates a table: PostgreSQL runs it as CREATE TABLE AS.
      return isObject(body.intoClause) ? { kind: 'ddl' } : { returnsRows: true };
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      walkQuery(stmt, scope, c);
      return { returnsRows: hasReturning(body) };
    case 'CopyStmt':
      return walkCopy(body, scope, c);
    case 'ExplainStmt':
      return walkExplain(body, c);
    case 'CreateTableAsStmt': {
      const into = isObject(body.into) ? asRangeVar(body.into.rel) : undefined;
      if (into) c.writes.add(qualifiedName(into, c.searchPath));
      walkQuery(body.query, scope, c);
      // CREATE TABLE … AS EXECUTE runs a prepared statement the text does not show.
      return { kind: 'ddl', opaque: tagOf(body.query) === 'ExecuteStmt' };
    }
    case 'ViewStmt':
      c.writes.add(qualifiedName(asRangeVar(body.view) ?? {}, c.searchPath));
      walkQuery(body.query, scope, c);
      return {};
    case 'PrepareStmt':
    case 'DeclareCursorStmt':
      // The query's facts are reported now, so rules can refuse it before it is ever executed.
      walkQuery(body.query, scope, c);
      walkExpr(body.argtypes, scope, 'other', c);
      return {};
    case 'FetchStmt':
      return { returnsRows: true };
    case 'DoStmt':
      // The body is PL/pgSQL: anything it does (dynamic EXECUTE included) is invisible here.
      return { opaque: true };
    case 'CallStmt':
      c.fn(isObject(body.funccall) ? body.funccall.funcname : undefined);
      walkExpr(isObject(body.funccall) ? body.funccall.args : undefined, scope, 'other', c);
      return { opaque: true, returnsRows: true };
    case 'ExecuteStmt':
      // Prepared statements are not tracked across messages: what EXECUTE runs is not visible.
      walkExpr(body.params, scope, 'values', c);
      return { opaque: true, returnsRows: true };
    case 'VariableSetStmt':
      return { setting: settingOf(body) };
    case 'VariableShowStmt':
      return { returnsRows: true };
    case 'TruncateStmt':
      for (const r of list(body.relations)) {
        const rv = asRangeVar(r);
        if (rv) c.writes.add(qualifiedName(rv, c.searchPath));
      }
      return { hasWhere: false };
    case 'DropStmt':
      if (DROPPED_RELATIONS.has(String(body.removeType))) {
        for (const o of list(body.objects))
          c.writes.add(qualifiedFromList(stringList(unwrap(o, 'List')?.items), c.searchPath));
      }
      return {};
    case 'GrantStmt':
      // GRANT … ON TABLE changes who may read or write those tables: the tables are its targets.
      for (const o of list(body.objects)) {
        const rv = asRangeVar(o);
        if (rv) c.writes.add(qualifiedName(rv, c.searchPath));
      }
      return {};
  }
  if (kindOf(node) === 'ddl') {
    const rest: PgNode = { ...body };
    for (const f of DDL_TARGET_FIELDS) {
      const rv = asRangeVar(body[f]);
      if (!rv) continue;
      c.writes.add(qualifiedName(rv, c.searchPath));
      delete rest[f];
    }
    walkExpr(rest, scope, 'other', c);
    return {};
  }
  walkExpr(body, scope, 'other', c);
  return {};
}

function walkCopy(body: PgNode, scope: Scope, c: Collector): Extra {
  const from = body.is_from === true;
  const rv = asRangeVar(body.relation);
  if (rv) {
    const relation = qualifiedName(rv, c.searchPath);
    (from ? c.writes : c.reads).add(relation);
    const cols = stringList(body.attlist);
    // COPY t TO without a column list copies every column, like SELECT *.
    for (const col of cols.length > 0 ? cols : from ? [] : ['*'])
      c.column(relation, col, from ? 'values' : 'select');
    scope.entries.push({ alias: str(rv.relname) ?? '', relation });
    walkExpr(body.whereClause, scope, 'where', c);
  }
  if (body.query) walkQuery(body.query, scope, c);
  const target = body.is_program
    ? 'program'
    : body.filename !== undefined
      ? 'file'
      : from
        ? 'stdin'
        : 'stdout';
  return {
    copy: { direction: from ? 'from' : 'to', target },
    // COPY … TO STDOUT streams rows to the client (in the copy sub-protocol).
    returnsRows: !from && target === 'stdout',
  };
}

/** EXPLAIN plans without running; EXPLAIN ANALYZE runs the statement, so it gets the statement's facts. */
function walkExplain(body: PgNode, c: Collector): Extra {
  const analyze = list(body.options).some((o) => {
    const d = unwrap(o, 'DefElem');
    return d?.defname === 'analyze' && isTrue(d.arg);
  });
  const inner = inspectStatement(isObject(body.query) ? body.query : {}, c.searchPath);
  for (const r of inner.reads) c.reads.add(r);
  for (const f of inner.functions) c.functions.add(f);
  c.columns.push(...inner.columns);
  if (!analyze) return { kind: 'explain', returnsRows: true };
  for (const w of inner.writes) c.writes.add(w);
  // The kind is the statement's (policy judges what runs); the node stays ExplainStmt (what the server reports).
  const extra: Extra = { kind: inner.kind, opaque: inner.opaque, returnsRows: true };
  if (inner.hasWhere !== undefined) extra.hasWhere = inner.hasWhere;
  if (inner.copy) extra.copy = inner.copy;
  return extra;
}

/** A DefElem argument that means true: absent (`ANALYZE`), true/on/1. */
function isTrue(arg: unknown): boolean {
  if (arg === undefined) return true;
  const b = unwrap(arg, 'Boolean');
  if (b) return b.boolval === true;
  const s = str(unwrap(arg, 'String')?.sval)?.toLowerCase();
  if (s !== undefined) return s === 'true' || s === 'on' || s === 'yes' || s === '1';
  const i = unwrap(arg, 'Integer');
  return i !== undefined && i.ival !== undefined && i.ival !== 0;
}

function settingOf(body: PgNode): NonNullable<Extra['setting']> {
  const name = (str(body.name) ?? 'all').toLowerCase();
  const local = body.is_local === true;
  if (name !== 'search_path' || body.kind !== 'VAR_SET_VALUE') return { name, local };
  const value: string[] = [];
  for (const a of list(body.args)) {
    const k = unwrap(a, 'A_Const');
    const v = isObject(k?.sval) ? str(k.sval.sval) : undefined;
    if (v !== undefined) value.push(v);
  }
  return { name, local, value };
}
