import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailDropMailer } from '../../../activities/email/mail-drop';
import { OutboxMailer } from '../../../activities/email/outbox-mailer';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mail-drop-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const email = {
  idempotencyKey: 'quote_sent:qt_1:v1:ada@example.com',
  from: 'Billing <billing@example.com>',
  to: 'ada@example.com',
  subject: 'Your quote\r\nBcc: someone@example.com',
  text: 'Review and sign: http://127.0.0.1:3000/v1/public/quotes/qtl_realtoken',
  html: '<p>Review and sign</p>',
};

test('drops the delivered email, working link included, into one private .eml per outbox key', async () => {
  const mailer = new MailDropMailer(new OutboxMailer(), join(dir, 'mail'));
  const result = await mailer.send(email);
  expect(result.providerMessageId).toBe(`outbox:${email.idempotencyKey}`);
  expect(mailer.name).toBe('outbox');
  await mailer.send({ ...email, text: `${email.text} (again)` });

  const files = await readdir(join(dir, 'mail'));
  expect(files).toEqual(['quote_sent_qt_1_v1_ada_example.com.eml']);
  const file = join(dir, 'mail', files[0]!);
  const eml = await readFile(file, 'utf8');
  expect(eml).toContain('/v1/public/quotes/qtl_realtoken (again)');
  // A header value cannot smuggle a header of its own.
  expect(eml).toContain('Subject: Your quote Bcc: someone@example.com\r\n');
  expect(eml).not.toMatch(/^Bcc:/m);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
});
