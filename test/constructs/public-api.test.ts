/**
 * The package's public surface, read from its entry points with the TypeScript compiler: every
 * optional prop of an exported `…Props`/`…Options` type documents its default, and the internals
 * the constructs use among themselves stay out of it.
 */
import { join } from 'node:path';
import ts from 'typescript';

const SRC = join(__dirname, '..', '..', 'constructs', 'src');
const ENTRY_POINTS = ['index.ts', 'aws/index.ts', 'gcp/index.ts', 'compliance/index.ts'].map((f) =>
  join(SRC, f),
);

const program = ts.createProgram(ENTRY_POINTS, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
});
const checker = program.getTypeChecker();

function exportsOf(file: string): ts.Symbol[] {
  const source = program.getSourceFile(file)!;
  return checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
}

const exported = new Map(ENTRY_POINTS.map((f) => [f, exportsOf(f).map((s) => s.getName())]));

describe('public API', () => {
  it('documents the default of every optional prop', () => {
    const missing: string[] = [];
    for (const file of ENTRY_POINTS) {
      for (const symbol of exportsOf(file)) {
        if (!/(Props|Options)$/.test(symbol.getName())) continue;
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        const type = checker.getDeclaredTypeOfSymbol(target);
        for (const prop of checker.getPropertiesOfType(type)) {
          if (!(prop.flags & ts.SymbolFlags.Optional)) continue;
          const documented = prop.getJsDocTags(checker).some((t) => t.name === 'default');
          if (!documented) missing.push(`${symbol.getName()}.${prop.getName()}`);
        }
      }
    }
    expect([...new Set(missing)].sort()).toEqual([]);
  });

  it('keeps the constructs’ internals out of every entry point', () => {
    const internals = [
      'substituteTokens',
      'PLACEHOLDER_SECRET_ARN',
      'PLACEHOLDER_HOST',
      'marksOf',
      'markOf',
      'addMark',
      'TerraformView',
      'secretRef',
      'renderGatewayConfig',
      'substituteStrings',
      'connectionEntry',
      'validateGatewayConfig',
      'evaluateNagPacks',
      'placeholderFor',
    ];
    for (const [file, names] of exported) {
      expect([file, names.filter((n) => internals.includes(n))]).toEqual([file, []]);
    }
  });

  it('uses the same names for the same idea on both clouds', () => {
    const aws = exported.get(ENTRY_POINTS[1]!)!;
    const gcp = exported.get(ENTRY_POINTS[2]!)!;
    const shared = [
      'PostgresTarget',
      'PostgresConnectionProps',
      'SshConnectionProps',
      'HttpConnectionProps',
      'SecretInput',
      'SecretSelector',
      'addComplianceChecks',
      'ComplianceChecksOptions',
      'WardenConnection',
      'WardenConfig',
    ];
    expect(shared.filter((n) => !aws.includes(n) || !gcp.includes(n))).toEqual([]);
  });
});
