/**
 * Every type a public declaration mentions can be named by a user: a function's parameter or result type, a
 * config's or result's field type, followed transitively, is exported by one of the package's entry points
 * (the files package.json's "exports" map compiles from). Otherwise a user who wants to annotate a variable
 * (an EvalResult's monitor summary, a collect() recipe, a rollout policy) has to spell the type out by hand
 * or reach for ReturnType/Parameters gymnastics. The few internals below are deliberately unexported.
 */
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ENTRIES = { 'fisor-ts': 'core/index.ts', 'fisor-ts/nn': 'nn/index.ts', 'fisor-ts/diffusion': 'diffusion/index.ts', 'fisor-ts/rl': 'rl/index.ts', 'fisor-ts/rl/node': 'rl/node.ts' };

/** Internals reachable from public types but not meant to be named (a backend's op tables, autograd's graph, ...). */
const INTERNAL = new Set([
  'core/autograd.ts:GraphNode', 'core/memory.ts:Storage', 'core/backend.ts:AdamParams', 'core/backend.ts:UnaryOp',
  'core/backend.ts:BinaryOp', 'core/backend.ts:ReduceOp', 'core/ops/layernorm.ts:NormAttrs', 'core/platform_node.ts:NodeFsPromises',
  'nn/optim.ts:BaseOptimizer',
  // Not exported by its module (ReturnType<typeof buildAgent>['streams']).
  'rl/fisor/train.ts:Streams',
]);

/** 'file:Name  <- entry:export > ... ' for each type reachable from an entry's exports that no entry exports. */
function unnameable(): string[] {
  const program = ts.createProgram(Object.values(ENTRIES).map((e) => join(root, e)), {
    strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true, noEmit: true, types: ['node'],
  });
  const checker = program.getTypeChecker();
  const exported = new Map<ts.Symbol, string>();
  for (const [name, file] of Object.entries(ENTRIES)) {
    const mod = checker.getSymbolAtLocation(program.getSourceFile(join(root, file))!)!;
    for (const s of checker.getExportsOfModule(mod)) {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      if (!exported.has(target)) exported.set(target, `${name}:${s.name}`);
    }
  }
  const missing = new Map<string, string>();
  const seen = new Set<ts.Symbol>();
  const visit = (decl: ts.Node, via: string): void => {
    const walk = (n: ts.Node): void => {
      // The signature only, as the emitted .d.ts has it: no function bodies, no private members, no initializer
      // beside a type annotation.
      if (ts.isBlock(n)) return;
      if ((ts.isClassElement(n) && n.name && ts.isPrivateIdentifier(n.name)) || (ts.canHaveModifiers(n) && ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword))) return;
      if ((ts.isVariableDeclaration(n) || ts.isPropertyDeclaration(n) || ts.isParameter(n)) && n.type) {
        walk(n.type);
        return;
      }
      if (ts.isTypeReferenceNode(n) || ts.isExpressionWithTypeArguments(n)) {
        let s = checker.getSymbolAtLocation(ts.isTypeReferenceNode(n) ? n.typeName : n.expression);
        if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
        const file = s?.declarations?.[0]?.getSourceFile().fileName;
        if (s && file && !file.includes('node_modules') && !(s.flags & ts.SymbolFlags.TypeParameter)) {
          const key = `${relative(root, file)}:${s.name}`;
          if (!exported.has(s) && !INTERNAL.has(key) && !missing.has(key)) missing.set(key, via);
          if (!seen.has(s)) {
            seen.add(s);
            for (const d of s.declarations!) visit(d, `${via} > ${s.name}`);
          }
        }
      }
      ts.forEachChild(n, walk);
    };
    walk(decl);
  };
  for (const [s, where] of exported) {
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of s.declarations ?? []) visit(d, where);
  }
  return [...missing].map(([k, via]) => `${k}  <- ${via}`).sort();
}

describe('public types', () => {
  it('every type a public declaration mentions is exported by some entry point', () => {
    expect(unnameable()).toEqual([]);
  }, 120_000);
});
