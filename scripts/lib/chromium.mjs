// Chromium for the page tests (playwright-core drives it; it never downloads a browser of its own).
// CHROMIUM_PATH points at one you have; otherwise Debian's `chromium` package is used, installed with
// apt-get when it is missing and this process may (root). Nothing else in the project needs a browser.
import { capture, tail } from './proc.mjs';
import { checkOverride, isExecutableFile } from './tools.mjs';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export async function ensureChromium({ log = (message) => console.error(`[tools] ${message}`) } = {}) {
  const override = await checkOverride('CHROMIUM_PATH', process.env.CHROMIUM_PATH);
  if (override) return override;
  if (await isExecutableFile(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;

  const apt = await capture('sh', ['-c', 'command -v apt-get']);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (apt.code !== 0 || !isRoot) {
    throw new Error('The page tests need Chromium and none was found at /usr/bin/chromium. Install it '
      + '(Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary.');
  }
  log('installing Chromium for the page tests with apt-get (one-time, ~1 min)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'chromium']]) {
    const run = await capture('apt-get', args, { env });
    if (run.code !== 0) {
      throw new Error(`apt-get ${args.join(' ')} failed:\n${tail(run.stderr || run.stdout, 15)}\n`
        + 'Install Chromium yourself or set CHROMIUM_PATH to a Chromium or Chrome binary.');
    }
  }
  if (!(await isExecutableFile(DEBIAN_CHROMIUM))) throw new Error('apt-get installed chromium but /usr/bin/chromium is not there; set CHROMIUM_PATH.');
  return DEBIAN_CHROMIUM;
}
