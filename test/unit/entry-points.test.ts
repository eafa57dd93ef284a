/**
 * On a fresh clone there is no node_modules: each npm script's entry point must install what it needs
 * before it imports any npm package. Static imports run before any code, so an entry point and
 * everything it imports statically may use Node built-ins and the project's own files only; npm
 * packages come in through a dynamic import() after ensureNodeModules().
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const scripts: Record<string, string> = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;

/** The files `npm run <name>` starts with node (`node x.mjs`, `exec node x.mjs`). */
const entryPoints = Object.entries(scripts).flatMap(([name, command]) => {
  const match = /(?:^|\s)node\s+([\w./-]+\.mjs)\b/.exec(command);
  return match ? [[name, match[1]!] as const] : [];
});

/** Specifiers of static `import ... from '...'` / `import '...'` / `export ... from '...'` (not import()). */
function staticImports(file: string): string[] {
  const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = [...source.matchAll(/^\s*(?:import|export)\s+(?:[^'"();]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  return found;
}

/** npm packages reached through static imports from `entry`, with the chain that reaches each. */
function packagesLoadedBeforeAnyCode(entry: string): string[] {
  const seen = new Set<string>();
  const packages: string[] = [];
  const visit = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier), [...chain, relative(ROOT, file)]);
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) packages.push(`${[...chain, relative(ROOT, file)].join(' → ')} imports ${specifier}`);
    }
  };
  visit(join(ROOT, entry), []);
  return packages;
}

test('the npm scripts run by node are found', () => {
  expect(entryPoints.map(([name]) => name)).toEqual(expect.arrayContaining(['start', 'test', 'fuzz', 'bench', 'chaos']));
});

test.each(entryPoints)('npm run %s (%s) imports no npm package before installing them', (_name, entry) => {
  expect(packagesLoadedBeforeAnyCode(entry)).toEqual([]);
});

test('the import scan sees a package behind a chain of relative imports', () => {
  // The old bench entry point imported the benchmark statically, which imports @temporalio/client.
  expect(packagesLoadedBeforeAnyCode('bench/bench.mjs')).toEqual(expect.arrayContaining([expect.stringMatching(/@temporalio\/client$/)]));
});
