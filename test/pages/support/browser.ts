/**
 * A real headless Chromium (Debian's, through playwright-core; CHROMIUM_PATH from scripts/test.mjs) and
 * the checks every page visit ends with (`auditPage`): no serious or critical accessibility violation
 * (axe-core), no Content-Security-Policy violation, no script error, and screenshots at desktop and
 * phone widths in test/pages/screenshots/ to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const SCREENSHOT_DIR = join(__dirname, '..', 'screenshots');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

export async function openBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** What went wrong in a page since the last audit: CSP violations, uncaught errors, console errors. */
const problems = new WeakMap<Page, string[]>();

/** A fresh context (its own cookies) and page at desktop size, watched for CSP violations and script errors. */
export async function newPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', ...options });
  const page = await context.newPage();
  const found: string[] = [];
  problems.set(page, found);
  await page.exposeFunction('__reportCspViolation', (text: string) => found.push(text));
  // Browser-side code as strings: the tests compile without the DOM's types.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation('CSP violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline code'));
    });`,
  });
  page.on('pageerror', (error) => found.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // The browser logs an error status of the document itself (a 404 or 400 page); that is the page under test, not a fault.
    if (message.text().startsWith('Failed to load resource') && message.location().url === page.url()) return;
    found.push(`console error: ${message.text()} (${message.location().url})`);
  });
  return { context, page };
}

let axeSource: string | undefined;

/** Fails on accessibility, CSP or script problems in the page as it is now, and writes its screenshots as `<name>-desktop.png` and `<name>-phone.png`. */
export async function auditPage(page: Page, name: string): Promise<void> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(`(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  })()`)) as { id: string; impact: string; help: string; targets: string[] }[];
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const found = [...(problems.get(page) ?? [])];
  problems.get(page)?.splice(0);

  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const size = page.viewportSize() ?? DESKTOP;
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(size);

  const report = [
    ...serious.map((v) => `axe ${v.impact}: ${v.id} (${v.help}) at ${v.targets.join(', ')}`),
    ...found,
  ];
  if (report.length > 0) throw new Error(`Page "${name}" (${page.url()}) has problems:\n  ${report.join('\n  ')}`);
}
