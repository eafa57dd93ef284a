import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Mustache from 'mustache';

export type EmailKind = 'payment_receipt' | 'payment_failed' | 'invoice_sent';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/**
 * Templates live in files next to this module (`<kind>.subject|text|html.mustache`) so wording and
 * branding change without touching code. HTML output is escaped by Mustache; text output is not.
 */
const TEMPLATE_DIR = join(__dirname, 'templates');

function load(kind: EmailKind, part: 'subject' | 'text' | 'html'): string {
  return readFileSync(join(TEMPLATE_DIR, `${kind}.${part}.mustache`), 'utf8');
}

export function renderEmail(kind: EmailKind, view: Record<string, unknown>): RenderedEmail {
  const plain = { escape: (value: unknown) => String(value) };
  return {
    subject: Mustache.render(load(kind, 'subject'), view, {}, plain).trim(),
    text: Mustache.render(load(kind, 'text'), view, {}, plain),
    html: Mustache.render(load(kind, 'html'), view),
  };
}
