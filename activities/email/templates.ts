import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Mustache from 'mustache';
import type { EmailKind } from '../../db/email-kinds';

export type { EmailKind };

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/**
 * Templates live in files next to this module (`<kind>.subject|text|html.mustache`) so wording and
 * branding change without touching code. HTML output is escaped by Mustache; text output is not.
 *
 * Branding comes from shared partials in `templates/partials`: an HTML template starts with
 * `{{> header}}` and ends with `{{> footer}}` (the logo or company name in the brand colour, then the
 * legal name, address, contact details and invoice footer); a text template ends with `{{> footer}}`.
 * They read `brand` from the view (services/documents/brand.ts `brandEmailView`), which
 * notifications.ts adds to every email.
 */
const TEMPLATE_DIR = join(__dirname, 'templates');
const PARTIAL_DIR = join(TEMPLATE_DIR, 'partials');

function load(kind: EmailKind, part: 'subject' | 'text' | 'html'): string {
  return readFileSync(join(TEMPLATE_DIR, `${kind}.${part}.mustache`), 'utf8');
}

/** `header` and `footer` for one part (html or text); a part without a file of its own gets an empty partial. */
function partials(part: 'text' | 'html'): Record<string, string> {
  const read = (name: string) => {
    try {
      return readFileSync(join(PARTIAL_DIR, `${name}.${part}.mustache`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
  };
  return { header: read('header'), footer: read('footer') };
}

export function renderEmail(kind: EmailKind, view: Record<string, unknown>): RenderedEmail {
  const plain = { escape: (value: unknown) => String(value) };
  return {
    subject: Mustache.render(load(kind, 'subject'), view, {}, plain).trim(),
    text: Mustache.render(load(kind, 'text'), view, partials('text'), plain),
    html: Mustache.render(load(kind, 'html'), view, partials('html')),
  };
}
