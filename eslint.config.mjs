import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * Any Node built-in, prefixed (`node:fs`) or bare (`fs`, `fs/promises`), as a regex alternative; a
 * local `./path` does not match. Built-in names are plain words and slashes: nothing to escape.
 */
const NODE_BUILTIN = `node:|(${builtinModules.join('|')})(/|$)`;

/** The package a bare specifier names: `luxon/src/x` → `luxon`, `@scope/pkg/x` → `@scope/pkg`. */
const packageOf = (source) => source.split('/').slice(0, source.startsWith('@') ? 2 : 1).join('/');

/**
 * `domain/` is pure billing logic: whatever it imports must resolve inside `domain/` at any depth, or
 * be an allowed package (and, where the allowance lists names, only those names). Paths are resolved,
 * so `../x` from `domain/a/b.ts` is fine and `../x` from `domain/b.ts` is not.
 */
const layering = {
  rules: {
    'domain-imports-only-domain': {
      meta: {
        type: 'problem',
        schema: [{ type: 'object', properties: { packages: { type: 'object' } }, additionalProperties: false }],
        messages: {
          outside: "domain/ imports nothing outside domain/: '{{source}}' is {{target}}",
          package: "domain/ imports no I/O: '{{source}}' is not one of its pure packages ({{allowed}})",
          names: "domain/ may import only {{names}} from '{{source}}'",
        },
      },
      create(context) {
        const domain = resolve(ROOT, 'domain') + sep;
        const packages = context.options[0]?.packages ?? {};
        const check = (node, source, importedNames) => {
          if (typeof source !== 'string') return;
          if (source.startsWith('.')) {
            const target = resolve(dirname(context.filename), source);
            if (!target.startsWith(domain)) context.report({ node, messageId: 'outside', data: { source, target: relative(ROOT, target) } });
            return;
          }
          const allowed = packages[packageOf(source)];
          if (!allowed) {
            context.report({ node, messageId: 'package', data: { source, allowed: Object.keys(packages).join(', ') } });
          } else if (Array.isArray(allowed) && !(importedNames && importedNames.every((name) => allowed.includes(name)))) {
            context.report({ node, messageId: 'names', data: { source, names: allowed.join(', ') } });
          }
        };
        // Named imports list their names; a default, namespace or side-effect import has no name to allow.
        const namesOf = (specifiers) =>
          specifiers.length > 0 && specifiers.every((s) => s.type === 'ImportSpecifier' || s.type === 'ExportSpecifier')
            ? specifiers.map((s) => (s.type === 'ImportSpecifier' ? s.imported : s.local).name)
            : undefined;
        return {
          ImportDeclaration: (node) => check(node, node.source.value, namesOf(node.specifiers)),
          ExportNamedDeclaration: (node) => node.source && check(node, node.source.value, namesOf(node.specifiers)),
          ExportAllDeclaration: (node) => check(node, node.source.value),
          ImportExpression: (node) => check(node, node.source.value),
          TSImportEqualsDeclaration: (node) =>
            node.moduleReference.type === 'TSExternalModuleReference' && check(node, node.moduleReference.expression.value),
        };
      },
    },
    'route-files-import-no-route-file': {
      meta: {
        type: 'problem',
        schema: [{ type: 'object', properties: { registrars: { type: 'array', items: { type: 'string' } } }, additionalProperties: false }],
        messages: {
          route:
            "'{{source}}' is a route file ({{target}}): only {{registrars}} import route files. Move what it shares into a " +
            'schemas, serialization or actions module and import that.',
        },
      },
      create(context) {
        const registrars = (context.options[0]?.registrars ?? []).map((file) => resolve(ROOT, file));
        if (registrars.includes(resolve(context.filename))) return {};
        const check = (node, source) => {
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const target = resolve(dirname(context.filename), source);
          if (!isRouteFile(target)) return;
          context.report({ node, messageId: 'route', data: { source, target: relative(ROOT, target), registrars: context.options[0]?.registrars?.join(' and ') } });
        };
        return {
          ImportDeclaration: (node) => check(node, node.source.value),
          ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
          ExportAllDeclaration: (node) => check(node, node.source.value),
          ImportExpression: (node) => check(node, node.source.value),
        };
      },
    },
  },
};

/** A route file: a resource folder's `routes.ts` or `<what>-routes.ts` (a Fastify plugin that registers routes). */
const isRouteFile = (path) => /(^|[-/\\])routes(\.ts)?$/.test(path);

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['scripts/**/*.mjs', 'test/**/*.mjs', 'bench/**/*.mjs', '*.js', '*.mjs'],
    languageOptions: { globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Scripts the customer pages send to browsers as they are (web/assets, no build step).
    files: ['web/assets/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no activity
    // code. The patterns take any number of `../`, so they hold in workflows/<name>/ and deeper.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: `^(${NODE_BUILTIN})`, message: 'workflows must stay deterministic: no Node built-ins' },
          { regex: '^(\\.\\./)+activities(/|$)', allowTypeImports: true, message: 'workflows import only activity types (import type)' },
          {
            regex: '^(\\.\\./)+(db|services|api|web|worker|config|logger)(/|$)',
            message: 'workflows import no I/O: never db/, services/, api/, web/, worker/, config or logger',
          },
          {
            // Packages: only the workflow SDK and the pure ones domain/ uses; others may do I/O.
            regex: `^(?!\\.|${NODE_BUILTIN}|@temporalio/(workflow|common)(/|$)|dinero\\.js(/|$)|luxon(/|$))`,
            allowTypeImports: true,
            message: 'workflows import only @temporalio/workflow, @temporalio/common, dinero.js and luxon',
          },
        ],
      }],
    },
  },
  {
    // domain/ is pure: no I/O, no clock, no randomness. node:crypto is there for hashing only.
    files: ['domain/**/*.ts'],
    plugins: { layering },
    rules: {
      'layering/domain-imports-only-domain': ['error', { packages: { 'dinero.js': true, luxon: true, 'node:crypto': ['createHash'] } }],
    },
  },
  {
    // api/ calls services/, never activities/ (type imports included): activities are what workflows
    // call, and a route that needs one of their operations needs it moved to services/.
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '^(\\.\\./)+activities(/|$)', message: 'api/ imports no activities/ code: call services/ instead' },
      ] }],
    },
  },
  {
    // services/ sit below the callers (api/, web/, worker/) and below activities/, which call them:
    // none of those, not even their types. What a service needs from an activity belongs in services/.
    files: ['services/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '^(\\.\\./)+(api|web|activities)(/|$)', message: 'services/ import no api/, web/ or activities/ (types included): they are below all three' },
      ] }],
    },
  },
  {
    // Route files stay independent: what several routes show (schemas, serializers, shared actions) lives in
    // a module of its own, and only the registration modules import route files.
    files: ['api/**/*.ts'],
    plugins: { layering },
    rules: {
      'layering/route-files-import-no-route-file': ['error', { registrars: ['api/app.ts', 'api/v1.ts'] }],
    },
  },
  {
    // Pages call the same services and shared actions as the API, never its route files; only
    // web/pages.ts registers the page areas' route files.
    files: ['web/**/*.ts'],
    plugins: { layering },
    rules: {
      'layering/route-files-import-no-route-file': ['error', { registrars: ['web/pages.ts'] }],
    },
  },
);
