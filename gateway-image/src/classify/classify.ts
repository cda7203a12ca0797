/**
 * `warden classify`: finds the columns of a Postgres connection that look like identifiers but
 * are not in its classification. Column-name hints (column-names.ts) apply to tables about
 * individuals: tables with a classified column, and tables that reference one (a foreign key, at
 * any distance). The gateway's detectors (detected.ts) run over a sample of every table, so an
 * unclassified copy of patient data is found wherever it sits. Names and counts out, never values.
 */
import { type CatalogColumn, type Rows, sampleQuery } from './catalog';
import { hintFromName } from './column-names';
import { createColumnDetector } from './detected';

export interface Finding {
  /** `schema.table.column`, as the classification writes it. */
  readonly column: string;
  readonly entity: string;
  /** Why: the identifier its name says, or how many sampled values the detectors recognised. */
  readonly reason: string;
}

export interface ClassifyResult {
  readonly tables: number;
  readonly columns: number;
  readonly sampledRows: number;
  /** Columns the classification covers. */
  readonly classified: number;
  readonly missing: readonly Finding[];
  /** Tables no name hint was applied to: nothing classified there and nothing referencing such a table. */
  readonly notAboutIndividuals: readonly string[];
  /** The classification with every missing column added: what to paste into the config. */
  readonly suggested: Readonly<Record<string, string>>;
}

export interface ClassifyInput {
  readonly columns: readonly CatalogColumn[];
  /** [referencing table, referenced table], as "schema.table". */
  readonly references: readonly (readonly [string, string])[];
  readonly classification: Readonly<Record<string, string>>;
  /** Runs a query on the connection (the caller owns the connection). */
  readonly query: (sql: string) => Promise<Rows>;
  /** Rows sampled per table. @default 200 */
  readonly sampleRows?: number;
  readonly mrnPatterns?: readonly string[];
}

const tableOf = (c: CatalogColumn) => `${c.schema}.${c.table}`;

/** A column the classification covers, by its own key or its table's `*`. */
function covered(classification: Readonly<Record<string, string>>, c: CatalogColumn): boolean {
  return `${tableOf(c)}.${c.column}` in classification || `${tableOf(c)}.*` in classification;
}

/** Tables with a classified column, then every table that references one of those, until none is added. */
function tablesAboutIndividuals(input: ClassifyInput): Set<string> {
  const about = new Set(input.columns.filter((c) => covered(input.classification, c)).map(tableOf));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [from, to] of input.references) {
      if (about.has(to) && !about.has(from)) {
        about.add(from);
        grew = true;
      }
    }
  }
  return about;
}

export async function classifyConnection(input: ClassifyInput): Promise<ClassifyResult> {
  const sampleRows = input.sampleRows ?? 200;
  const detect = createColumnDetector(input.mrnPatterns);
  const about = tablesAboutIndividuals(input);
  const byTable = new Map<string, CatalogColumn[]>();
  for (const c of input.columns) byTable.set(tableOf(c), [...(byTable.get(tableOf(c)) ?? []), c]);

  const missing: Finding[] = [];
  let sampled = 0;
  for (const [table, columns] of byTable) {
    const rows = await input.query(
      sampleQuery(
        columns[0]!.schema,
        columns[0]!.table,
        columns.map((c) => c.column),
        sampleRows,
      ),
    );
    sampled += rows.length;
    for (const [i, c] of columns.entries()) {
      if (covered(input.classification, c)) continue;
      const key = `${table}.${c.column}`;
      const found = detect(rows.map((r) => r[i] ?? null));
      if (found) {
        missing.push({
          column: key,
          entity: found.entity,
          reason: `${found.hits} of ${found.sampled} sampled values look like ${found.entity}`,
        });
        continue;
      }
      const hint = about.has(table) ? hintFromName(c.column, c.dataType) : undefined;
      if (hint) missing.push({ column: key, entity: hint.entity, reason: `the name says ${hint.why}` });
    }
  }
  const suggested: Record<string, string> = { ...input.classification };
  for (const f of missing) suggested[f.column] = f.entity;
  return {
    tables: byTable.size,
    columns: input.columns.length,
    sampledRows: sampled,
    classified: input.columns.filter((c) => covered(input.classification, c)).length,
    missing,
    notAboutIndividuals: [...byTable.keys()].filter((t) => !about.has(t)),
    suggested,
  };
}
