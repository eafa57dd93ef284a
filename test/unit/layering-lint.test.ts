/**
 * The layering lint rules fire on a planted bad import at any depth, and leave legal imports alone.
 * Runs the project's own ESLint config (ESLint's Node API) on in-memory source given a path in the
 * tree; no file is written. ESLint loads eslint.config.mjs with a dynamic import(), which Jest's module
 * loader cannot do, so the API runs in one child Node process for all the cases.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

const LINT_IN_NODE = `
import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
const eslint = new ESLint({ cwd: process.cwd() });
const planted = JSON.parse(readFileSync(0, 'utf8'));
const problems = {};
for (const [name, { filePath, code }] of Object.entries(planted)) {
  const [result] = await eslint.lintText(code, { filePath });
  problems[name] = result.messages.map((m) => m.ruleId + ': ' + m.message);
}
process.stdout.write(JSON.stringify(problems));
`;

const planted = {
  nestedDbImport: { filePath: 'workflows/subscription/planted.ts', code: "import { Invoice } from '../../db/entities';\nexport const planted = Invoice;\n" },
  nestedBuiltin: { filePath: 'workflows/invoice-collection/planted.ts', code: "import { hostname } from 'os';\nexport const planted = hostname;\n" },
  activityCode: { filePath: 'workflows/refund/planted.ts', code: "import { refundActivities } from '../../activities/refunds';\nexport const planted = refundActivities;\n" },
  activityTypes: {
    filePath: 'workflows/refund/planted.ts',
    code:
      "import type { BillingActivities } from '../../activities';\nimport { type RefundGatewayResult } from '../../activities/refunds';\n" +
      'export type Planted = [BillingActivities, RefundGatewayResult];\n',
  },
  domainImportsApi: { filePath: 'domain/planted.ts', code: "import { buildApp } from '../api/app';\nexport const planted = buildApp;\n" },
  domainImportsIo: { filePath: 'domain/planted.ts', code: "import { Pool } from 'pg';\nexport const planted = Pool;\n" },
  domainRandomness: { filePath: 'domain/planted.ts', code: "import { randomUUID } from 'node:crypto';\nexport const planted = randomUUID;\n" },
  domainLegal: {
    filePath: 'domain/payments/planted.ts',
    code:
      "import { DateTime } from 'luxon';\nimport { dinero } from 'dinero.js';\nimport { createHash } from 'node:crypto';\n" +
      "import { formatMoney } from '../money';\nexport const planted = [DateTime, dinero, createHash, formatMoney];\n",
  },
  servicesImportApi: { filePath: 'services/quotes/planted.ts', code: "import { invalidParam } from '../../api/errors';\nexport const planted = invalidParam;\n" },
  servicesImportActivityTypes: {
    filePath: 'services/invoices/planted.ts',
    code: "import type { BillingActivities } from '../../activities';\nexport type Planted = BillingActivities;\n",
  },
  servicesLegal: {
    filePath: 'services/subscriptions/planted.ts',
    code:
      "import { RuleViolation } from '../../domain/rule-violation';\nimport { Invoice } from '../../db/entities';\n" +
      "import type { CommitmentTerm } from '../../workflows/subscription/contract';\nimport { priceInvoice } from '../invoices/invoice-records';\n" +
      'export const planted = [RuleViolation, Invoice, priceInvoice];\nexport type Planted = CommitmentTerm;\n',
  },
  routeImportsRoute: {
    filePath: 'api/portal/routes.ts',
    code: "import { subscriptionsRoutes } from '../subscriptions/routes';\nexport const planted = subscriptionsRoutes;\n",
  },
  routeImportsSiblingRoute: {
    filePath: 'api/invoices/actions-routes.ts',
    code: "import type { InvoiceRoutesOptions } from './routes';\nexport type Planted = InvoiceRoutesOptions;\n",
  },
  schemasImportRoute: {
    filePath: 'api/instalment-plans/schemas.ts',
    code: "export { instalmentBalancesRoutes } from './balances-routes';\n",
  },
  routeImportsShared: {
    filePath: 'api/portal/routes.ts',
    code:
      "import { InvoiceResource } from '../invoices/schemas';\nimport { invoiceWithLines } from '../invoices/serialization';\n" +
      "import { invoiceCollectionActions } from '../invoices/collection-actions';\nimport { STAFF } from '../roles';\n" +
      "import type { RouteDeps } from '../route-deps';\nexport const planted = [InvoiceResource, invoiceWithLines, invoiceCollectionActions, STAFF];\nexport type Planted = RouteDeps;\n",
  },
  pageImportsApiRoute: {
    filePath: 'web/portal/invoice-pages.ts',
    code: "import { customerPortalRoutes } from '../../api/portal/routes';\nexport const planted = customerPortalRoutes;\n",
  },
  pageImportsSharedActions: {
    filePath: 'web/portal/invoice-pages.ts',
    code: "import { invoiceCollectionActions } from '../../api/invoices/collection-actions';\nexport const planted = invoiceCollectionActions;\n",
  },
  pagesRegistrarImportsPageRoutes: {
    filePath: 'web/pages.ts',
    code: "import { checkoutPages } from './checkout/routes';\nexport const planted = checkoutPages;\n",
  },
  registrarImportsRoutes: {
    filePath: 'api/v1.ts',
    code: "import { customersRoutes } from './customers/routes';\nimport { publicQuotesRoutes } from './quotes/public-routes';\nexport const planted = [customersRoutes, publicQuotesRoutes];\n",
  },
};

let problems: Record<keyof typeof planted, string[]>;

beforeAll(() => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', LINT_IN_NODE], { cwd: ROOT, input: JSON.stringify(planted), encoding: 'utf8' });
  problems = JSON.parse(out);
}, 60_000);

describe('workflows/ imports no I/O, at any depth', () => {
  it('rejects a value import of db/entities from a nested workflow file', () => {
    expect(problems.nestedDbImport).toEqual([expect.stringMatching(/^no-restricted-imports: '\.\.\/\.\.\/db\/entities' .*workflows import no I\/O/)]);
  });

  it('rejects a Node built-in from a nested workflow file', () => {
    expect(problems.nestedBuiltin).toEqual([expect.stringMatching(/^no-restricted-imports: 'os' .*no Node built-ins/)]);
  });

  it('rejects activity code but allows type-only imports of activity types', () => {
    expect(problems.activityCode).toEqual([expect.stringMatching(/^no-restricted-imports: .*workflows import only activity types/)]);
    expect(problems.activityTypes).toEqual([]);
  });
});

describe('domain/ imports nothing outside domain/', () => {
  it('rejects an import of api/', () => {
    expect(problems.domainImportsApi).toEqual(["layering/domain-imports-only-domain: domain/ imports nothing outside domain/: '../api/app' is api/app"]);
  });

  it('rejects a package with I/O, and randomness from node:crypto', () => {
    expect(problems.domainImportsIo).toEqual([expect.stringMatching(/^layering\/domain-imports-only-domain: domain\/ imports no I\/O: 'pg'/)]);
    expect(problems.domainRandomness).toEqual(["layering/domain-imports-only-domain: domain/ may import only createHash from 'node:crypto'"]);
  });

  it('allows domain/ files at any depth and its pure packages', () => {
    expect(problems.domainLegal).toEqual([]);
  });
});

describe('services/ import no api/, web/ or activities/', () => {
  it('rejects an import of api/ from a service', () => {
    expect(problems.servicesImportApi).toEqual([expect.stringMatching(/^no-restricted-imports: '\.\.\/\.\.\/api\/errors' .*services\/ import no api\//)]);
  });

  it('rejects activity types too: services are below activities', () => {
    expect(problems.servicesImportActivityTypes).toEqual([expect.stringMatching(/^no-restricted-imports: .*services\/ import no api\/, web\/ or activities\//)]);
  });

  it('allows domain/, db/, workflow contracts and other services', () => {
    expect(problems.servicesLegal).toEqual([]);
  });
});

describe('api/ route files import no route file', () => {
  it('rejects a route file importing another resource\'s routes, or a sibling route file (type imports too)', () => {
    expect(problems.routeImportsRoute).toEqual([
      expect.stringMatching(/^layering\/route-files-import-no-route-file: '\.\.\/subscriptions\/routes' is a route file \(api\/subscriptions\/routes\)/),
    ]);
    expect(problems.routeImportsSiblingRoute).toEqual([expect.stringMatching(/^layering\/route-files-import-no-route-file: '\.\/routes' is a route file/)]);
  });

  it('rejects a schemas module taking anything from a route file', () => {
    expect(problems.schemasImportRoute).toEqual([expect.stringMatching(/^layering\/route-files-import-no-route-file: '\.\/balances-routes' is a route file/)]);
  });

  it('rejects a page importing an API route file, and allows its shared actions and web/pages.ts registering page routes', () => {
    expect(problems.pageImportsApiRoute).toEqual([
      expect.stringMatching(/^layering\/route-files-import-no-route-file: '\.\.\/\.\.\/api\/portal\/routes' is a route file/),
    ]);
    expect(problems.pageImportsSharedActions).toEqual([]);
    expect(problems.pagesRegistrarImportsPageRoutes).toEqual([]);
  });

  it('allows shared schemas, serializers, actions, roles and route deps, and the registration modules importing routes', () => {
    expect(problems.routeImportsShared).toEqual([]);
    expect(problems.registrarImportsRoutes).toEqual([]);
  });
});
