/**
 * Walks a statement's parse tree (libpg-query JSON) and returns the lineage of each output
 * column. Unknown constructs are descended generically, so any column they mention still counts
 * as a source; anything that could bring in values the tree does not show is marked opaque.
 */
import {
  asRangeVar,
  functionName,
  isObject,
  list,
  type PgNode,
  qualifiedName,
  str,
  stringList,
  tagOf,
  unwrap,
} from '../../inspect/sql/names';
import type { LineageCatalog, Output, Source } from './types';

type ExprOutput = Extract<Output, { kind: 'expr' }>;

interface Entry {
  readonly alias: string;
  readonly relation?: string;
  readonly outputs?: readonly Output[];
  /** Output names of a derived table, for `x.col`. */
  readonly names?: readonly (string | undefined)[];
}

class Scope {
  readonly entries: Entry[] = [];
  readonly ctes = new Map<string, Entry>();
  constructor(readonly parent?: Scope) {}
  cte(name: string): Entry | undefined {
    return this.ctes.get(name) ?? this.parent?.cte(name);
  }
  alias(name: string): Entry | undefined {
    return this.entries.find((e) => e.alias === name) ?? this.parent?.alias(name);
  }
  nearest(): readonly Entry[] {
    return this.entries.length > 0 || !this.parent ? this.entries : this.parent.nearest();
  }
}

/** Accumulates the sources of one expression. */
interface Acc {
  sources: Source[];
  opaque: boolean;
}

export interface QueryOutputs {
  readonly outputs: Output[];
  readonly names: (string | undefined)[];
}

export class LineageWalker {
  constructor(
    private readonly searchPath: readonly string[],
    private readonly catalog: LineageCatalog,
  ) {}

  /** The outputs of a wrapped query node (SelectStmt, or DML with RETURNING). */
  query(node: unknown, parent?: Scope): QueryOutputs {
    const tag = tagOf(node);
    const body = tag ? (node as PgNode)[tag] : undefined;
    if (!isObject(body)) return { outputs: [], names: [] };
    if (tag === 'SelectStmt') return this.select(body, parent);
    if (tag === 'InsertStmt' || tag === 'UpdateStmt' || tag === 'DeleteStmt' || tag === 'MergeStmt') {
      const scope = new Scope(parent);
      this.with(body.withClause, scope);
      const rv = asRangeVar(body.relation);
      if (rv) {
        const relation = qualifiedName(rv, this.searchPath);
        const alias = isObject(rv.alias) ? str(rv.alias.aliasname) : undefined;
        scope.entries.push({ alias: alias ?? str(rv.relname) ?? '', relation });
      }
      for (const item of [...list(body.fromClause), ...list(body.usingClause)]) this.range(item, scope);
      if (body.sourceRelation) this.range(body.sourceRelation, scope);
      return this.targets(returningOf(body), scope);
    }
    return { outputs: [{ kind: 'expr', sources: [], plain: false, opaque: true }], names: [undefined] };
  }

  select(sel: PgNode, parent?: Scope): QueryOutputs {
    const scope = new Scope(parent);
    this.with(sel.withClause, scope);
    if (sel.op && sel.op !== 'SETOP_NONE') {
      // UNION/INTERSECT/EXCEPT: column i of the result may come from column i of any branch.
      const left = isObject(sel.larg) ? this.select(sel.larg, scope) : { outputs: [], names: [] };
      const right = isObject(sel.rarg) ? this.select(sel.rarg, scope) : { outputs: [], names: [] };
      return { outputs: mergeBranches(left.outputs, right.outputs), names: left.names };
    }
    const values = list(sel.valuesLists);
    if (values.length > 0) {
      const rows = values.map((row) =>
        list(unwrap(row, 'List')?.items ?? row).map((e) => this.expr(e, scope)),
      );
      const outputs = rows[0]!.map((_, i) => union(rows.map((r) => r[i]!)));
      return { outputs, names: outputs.map((_, i) => `column${i + 1}`) };
    }
    for (const item of list(sel.fromClause)) this.range(item, scope);
    return this.targets(sel.targetList, scope);
  }

  private targets(targetList: unknown, scope: Scope): QueryOutputs {
    const outputs: Output[] = [];
    const names: (string | undefined)[] = [];
    for (const t of list(targetList)) {
      const rt = unwrap(t, 'ResTarget');
      if (!rt) continue;
      const star = this.starOf(rt.val, scope);
      if (star) {
        for (const s of star) {
          outputs.push(s.output);
          names.push(s.name);
        }
        continue;
      }
      outputs.push(this.expr(rt.val, scope));
      names.push(str(rt.name) ?? outputName(rt.val));
    }
    return { outputs, names };
  }

  /** `*` and `x.*` in a select list expand to the entries' outputs; undefined when not a star. */
  private starOf(val: unknown, scope: Scope): { output: Output; name: string | undefined }[] | undefined {
    const col = unwrap(val, 'ColumnRef');
    const fields = list(col?.fields);
    if (fields.length === 0 || !unwrap(fields[fields.length - 1], 'A_Star')) return undefined;
    const qual = stringList(fields);
    const entries = qual.length === 0 ? scope.nearest() : [this.qualifier(qual, scope)];
    return entries.flatMap((e) => {
      if (!e) return [{ output: { kind: 'unknown-star' } as Output, name: undefined }];
      if (e.relation) return [{ output: { kind: 'star', relation: e.relation } as Output, name: undefined }];
      if (e.outputs) return e.outputs.map((o, i) => ({ output: o, name: e.names?.[i] }));
      return [{ output: { kind: 'unknown-star' } as Output, name: undefined }];
    });
  }

  private qualifier(qual: readonly string[], scope: Scope): Entry | undefined {
    if (qual.length === 1) return scope.alias(qual[0]!);
    const wanted = qual.slice(-2).join('.');
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const hit = s.entries.find((e) => e.relation === wanted);
      if (hit) return hit;
    }
    return undefined;
  }

  /** One output expression's lineage. */
  expr(node: unknown, scope: Scope): ExprOutput {
    const acc: Acc = { sources: [], opaque: false };
    this.collect(node, scope, acc);
    return { kind: 'expr', sources: acc.sources, plain: isPlain(node), opaque: acc.opaque };
  }

  private collect(node: unknown, scope: Scope, acc: Acc): void {
    if (Array.isArray(node)) {
      for (const n of node) this.collect(n, scope, acc);
      return;
    }
    if (!isObject(node)) return;
    const tag = tagOf(node);
    const body = tag ? (node[tag] as PgNode) : node;
    switch (tag) {
      case 'ColumnRef':
        this.column(body.fields, scope, acc);
        return;
      case 'FuncCall':
        if (this.catalog.isOpaqueFunction(functionName(body.funcname))) acc.opaque = true;
        break;
      case 'SubLink':
      case 'SelectStmt': {
        // A scalar/array/EXISTS subquery: its outputs (any of them) flow into this value.
        const sub = tag === 'SubLink' ? body.subselect : node;
        for (const o of this.query(sub, scope).outputs) addOutput(o, acc);
        if (tag === 'SubLink') this.collect(body.testexpr, scope, acc);
        return;
      }
    }
    const rv = asRangeVar(node);
    if (rv) {
      acc.sources.push({ relation: qualifiedName(rv, this.searchPath), column: '*' });
      return;
    }
    for (const v of Object.values(body)) if (typeof v === 'object') this.collect(v, scope, acc);
  }

  private column(fieldsNode: unknown, scope: Scope, acc: Acc): void {
    const fields = list(fieldsNode);
    const star = fields.length > 0 && unwrap(fields[fields.length - 1], 'A_Star') !== undefined;
    const names = stringList(fields);
    if (star) {
      const entries = names.length === 0 ? scope.nearest() : [this.qualifier(names, scope)];
      for (const e of entries) emit(e, '*', acc);
      return;
    }
    if (names.length === 1) {
      // A bare name that is a FROM alias is a whole-row reference (`row_to_json(p)`).
      const whole = scope.alias(names[0]!);
      if (whole) {
        emit(whole, '*', acc);
        return;
      }
      const near = scope.nearest();
      const owners = near.filter((e) => e.relation || e.names?.includes(names[0]));
      if (owners.length === 1) {
        emit(owners[0]!, names[0]!, acc);
        return;
      }
      // Ambiguous without the catalog: every entry in reach that could own the name counts.
      if (near.length === 0) return;
      for (const e of near) emit(e, names[0]!, acc);
      return;
    }
    const col = names[names.length - 1]!;
    const e = this.qualifier(names.slice(0, -1), scope);
    if (e) emit(e, col, acc);
    // `(p).ssn` style composite access or an outer reference the walker cannot place.
    else acc.sources.push({ column: col });
  }

  private with(withClause: unknown, scope: Scope): void {
    if (!isObject(withClause)) return;
    for (const item of list(withClause.ctes)) {
      const cte = unwrap(item, 'CommonTableExpr');
      const name = str(cte?.ctename);
      if (!cte || !name) continue;
      // A recursive CTE reads itself: until known, its columns are opaque.
      if (withClause.recursive) scope.ctes.set(name, { alias: name, outputs: undefined });
      const q = this.query(cte.ctequery, scope);
      const renamed = stringList(cte.aliascolnames);
      const opaqueSelf = withClause.recursive ? q.outputs.map(markOpaque) : q.outputs;
      scope.ctes.set(name, {
        alias: name,
        outputs: opaqueSelf,
        names: renamed.length > 0 ? renamed : q.names,
      });
    }
  }

  private range(item: unknown, scope: Scope): void {
    const tag = tagOf(item);
    const body = tag ? ((item as PgNode)[tag] as PgNode) : undefined;
    if (!body) return;
    const alias = isObject(body.alias) ? str(body.alias.aliasname) : undefined;
    const colnames = isObject(body.alias) ? stringList(body.alias.colnames) : [];
    switch (tag) {
      case 'RangeVar': {
        const rel = str(body.relname) ?? '';
        const cte = body.schemaname ? undefined : scope.cte(rel);
        if (cte)
          scope.entries.push({ ...cte, alias: alias ?? rel, names: colnames.length ? colnames : cte.names });
        else scope.entries.push({ alias: alias ?? rel, relation: qualifiedName(body, this.searchPath) });
        return;
      }
      case 'JoinExpr':
        this.range(body.larg, scope);
        this.range(body.rarg, scope);
        return;
      case 'RangeSubselect': {
        // LATERAL subqueries see the entries added so far.
        const q = this.query(body.subquery, body.lateral ? scope : scope.parent);
        scope.entries.push({
          alias: alias ?? '',
          outputs: q.outputs,
          names: colnames.length ? colnames : q.names,
        });
        return;
      }
      default: {
        // Functions in FROM (unnest(array_agg(ssn)), json_to_recordset(…)): every column of the
        // result depends on every argument, and user functions are opaque.
        const out = this.expr(body, scope);
        scope.entries.push({ alias: alias ?? '', outputs: [{ ...out, opaque: true }], names: undefined });
      }
    }
  }
}

function emit(e: Entry | undefined, column: string, acc: Acc): void {
  if (!e) {
    acc.sources.push({ column });
    return;
  }
  if (e.relation) {
    acc.sources.push({ relation: e.relation, column });
    return;
  }
  if (!e.outputs) {
    acc.opaque = true;
    return;
  }
  const i = column === '*' ? -1 : (e.names ?? []).indexOf(column);
  // An unnamed or unknown column of a derived table: all of its outputs may be the one.
  const picked = i >= 0 && e.outputs.length === (e.names ?? []).length ? [e.outputs[i]!] : e.outputs;
  for (const o of picked) addOutput(o, acc);
}

function addOutput(o: Output, acc: Acc): void {
  if (o.kind === 'star') acc.sources.push({ relation: o.relation, column: '*' });
  else if (o.kind === 'unknown-star') acc.opaque = true;
  else {
    acc.sources.push(...o.sources);
    if (o.opaque) acc.opaque = true;
  }
}

function union(outputs: readonly Output[]): ExprOutput {
  const acc: Acc = { sources: [], opaque: false };
  for (const o of outputs) addOutput(o, acc);
  return {
    kind: 'expr',
    sources: acc.sources,
    plain: outputs.every((o) => o.kind === 'expr' && o.plain),
    opaque: acc.opaque,
  };
}

function mergeBranches(left: readonly Output[], right: readonly Output[]): Output[] {
  // Stars of unknown width make positions unalignable: every output depends on everything.
  const widthKnown = (os: readonly Output[]) => os.every((o) => o.kind === 'expr');
  if (!widthKnown(left) || !widthKnown(right) || left.length !== right.length) {
    const all = union([...left, ...right]);
    return left.map(() => ({ ...all, opaque: all.opaque || !widthKnown(left) || !widthKnown(right) }));
  }
  return left.map((o, i) => union([o, right[i]!]));
}

function markOpaque(o: Output): Output {
  return o.kind === 'expr' ? { ...o, opaque: true } : o;
}

function isPlain(node: unknown): boolean {
  const tc = unwrap(node, 'TypeCast');
  if (tc) return isPlain(tc.arg);
  const col = unwrap(node, 'ColumnRef');
  return col !== undefined && !list(col.fields).some((f) => unwrap(f, 'A_Star'));
}

function outputName(val: unknown): string | undefined {
  const col = unwrap(val, 'ColumnRef');
  if (col) return stringList(col.fields).pop();
  const tc = unwrap(val, 'TypeCast');
  if (tc) return outputName(tc.arg);
  const fc = unwrap(val, 'FuncCall');
  return fc ? stringList(fc.funcname).pop() : undefined;
}

/** RETURNING items: PostgreSQL 18 wraps them in `returningClause` (for OLD/NEW aliases). */
export function returningOf(body: PgNode): unknown[] | undefined {
  if (Array.isArray(body.returningList)) return body.returningList;
  const clause = isObject(body.returningClause) ? body.returningClause : undefined;
  return clause && Array.isArray(clause.exprs) ? clause.exprs : undefined;
}
