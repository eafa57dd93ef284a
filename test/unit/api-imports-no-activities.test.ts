/**
 * api/ calls services/ and never activities/ (eslint.config.mjs): the rule must fire on a planted
 * import at any depth under api/, type-only imports included, and leave services/ imports alone.
 * Runs the project's own eslint on source given on stdin, as if it were a file under api/.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const ESLINT = join(ROOT, 'node_modules', '.bin', 'eslint');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

/** The messages eslint reports for `source` linted as `file` (a path inside the repository). */
function lint(file: string, source: string): LintMessage[] {
  const run = spawnSync(ESLINT, ['--format', 'json', '--stdin', '--stdin-filename', file], { cwd: ROOT, input: source, encoding: 'utf8' });
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed (${run.status}): ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as { messages: LintMessage[] }[];
  return result!.messages;
}

const restricted = (messages: LintMessage[]) => messages.filter((m) => m.ruleId === 'no-restricted-imports');

describe('lint: api/ imports no activities/ code', () => {
  it.each([
    ['a route', 'api/customers/planted.ts', "import { invoicingActivities } from '../../activities/invoicing';\nexport const x = invoicingActivities;\n"],
    ['a root api file', 'api/planted.ts', "import { createActivities } from '../activities';\nexport const x = createActivities;\n"],
    ['a type-only import', 'api/plugins/planted.ts', "import type { ActivityDeps } from '../../activities/deps';\nexport type X = ActivityDeps;\n"],
    ['a re-export', 'api/customers/planted.ts', "export { refundActivities } from '../../activities/refunds';\n"],
  ])('fires on %s', (_what, file, source) => {
    const found = restricted(lint(file, source));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('api/ imports no activities/ code');
  }, 30_000);

  it('lets api/ import services/', () => {
    const source = "import { issueInvoice } from '../../services/invoices/invoice-records';\nexport const x = issueInvoice;\n";
    expect(restricted(lint('api/customers/planted.ts', source))).toEqual([]);
  }, 30_000);
});
