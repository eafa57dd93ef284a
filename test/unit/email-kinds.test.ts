/**
 * One list of email kinds (db/email-kinds.ts): it matches the templates that exist, and the API's
 * schema (hence its OpenAPI document) names every one of them.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EMAIL_KINDS } from '../../db/email-kinds';
import { EmailResource } from '../../api/emails/schemas';

const TEMPLATE_DIR = join(__dirname, '../../activities/email/templates');
const templateFiles = readdirSync(TEMPLATE_DIR).filter((f) => f.endsWith('.mustache'));
const templateKinds = new Set(templateFiles.map((f) => f.split('.')[0]!));

test('every kind has a subject, text and HTML template, and every template set is a kind', () => {
  const kinds = [...EMAIL_KINDS];
  expect(new Set(kinds)).toEqual(templateKinds);
  for (const kind of kinds) {
    for (const part of ['subject', 'text', 'html']) expect(templateFiles).toContain(`${kind}.${part}.mustache`);
  }
});

test("the Email schema's kind description lists exactly the template kinds", () => {
  const description = (EmailResource.properties.kind as { description?: string }).description ?? '';
  const listed = new Set(description.replace(/^[^:]*:\s*/, '').split(/,\s*/));
  expect(listed).toEqual(templateKinds);
  expect(listed.size).toBeGreaterThanOrEqual(20);
});
