/**
 * Emails that ask the customer to act link to where they can: the invoice's hosted page (invoice sent,
 * overdue, payment failed, payment failed final) or the customer portal (trial ending, term renewal).
 * Checked in what the mailer delivered and in the outbox row, which keeps these links (they show only
 * what the email already contains; activities/email/customer-links.ts).
 */
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Email } from '../../db/entities';
import { createActivities } from '../../activities';
import { SandboxGateway } from '../../activities/payments/sandbox-gateway';
import { PostgresSandboxLedger } from '../../activities/payments/sandbox-ledger';
import { renderEmail } from '../../activities/email/templates';
import { invoiceLinkToken } from '../../services/access/invoice-links';
import { requireEnv } from '../support/env';
import { CapturingMailer } from '../support/capturing-mailer';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../support/fixtures';

const SECRET = 'email-links-test-secret-0123456789abcdefghij';
const PUBLIC_URL = 'https://billing.example.com';
const PORTAL_URL = 'https://billing.example.com/portal';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

function activities(mailer: CapturingMailer) {
  return createActivities({
    orm,
    gateway: new SandboxGateway(new PostgresSandboxLedger(orm)),
    mailer,
    log: pino({ level: 'silent' }),
    emailFrom: 'billing@example.com',
    publicUrl: PUBLIC_URL,
    portalUrl: PORTAL_URL,
    linkSigningSecret: SECRET,
    invoiceNumberPrefix: `L${randomUUID().slice(0, 8)}-`,
  });
}

async function declinedInvoice(mailer: CapturingMailer) {
  const customer = await createCustomer(orm, { defaultPaymentMethod: 'pm_card_chargeDeclined' });
  const price = await createRecurringPrice(orm, { unitAmount: 4200 });
  const subscription = await createSubscriptionRecord(orm, customer, price, { anchor: new Date('2027-03-01T00:00:00Z') });
  const acts = activities(mailer);
  const period = { index: 0, start: '2027-03-01T00:00:00.000Z', end: '2027-04-01T00:00:00.000Z' };
  const invoice = await acts.createSubscriptionInvoice({ subscriptionId: subscription.id, period, issuedAt: period.start });
  const charge = await acts.chargeInvoice({ invoiceId: invoice.invoiceId, attempt: 1, chargedAt: period.start });
  if (charge.outcome !== 'failed' || !charge.paymentId) throw new Error(`expected a decline, got ${JSON.stringify(charge)}`);
  return { acts, customer, subscription, invoiceId: invoice.invoiceId, paymentId: charge.paymentId };
}

/** Mustache escapes `/` and `=` in HTML (`&#x2F;`): an href as the browser reads it. */
const unescapeHtml = (html: string): string =>
  html.replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The delivered email and the outbox row of one send both carry `link`, in the text and as the HTML link's href. */
async function expectLink(mailer: CapturingMailer, outboxId: string, link: string) {
  const row = await orm.em.fork().findOneOrFail(Email, { id: outboxId });
  const delivered = mailer.delivered.find((e) => e.idempotencyKey === row.key);
  expect(delivered).toBeDefined();
  for (const email of [delivered!, row]) {
    expect(email.text).toContain(link);
    expect(unescapeHtml(email.html)).toContain(`href="${link}"`);
  }
}

test('invoice sent, overdue, payment failed and payment failed final link to the invoice’s hosted page', async () => {
  const mailer = new CapturingMailer();
  const { acts, invoiceId, paymentId } = await declinedInvoice(mailer);
  const hostedPage = `${PUBLIC_URL}/invoices/${invoiceId}/${invoiceLinkToken(SECRET, invoiceId)}`;

  await expectLink(mailer, await acts.sendInvoice({ invoiceId }), hostedPage);
  await expectLink(mailer, await acts.sendInvoiceOverdueReminder({ invoiceId }), hostedPage);
  await expectLink(mailer, await acts.sendPaymentFailedNotice({ paymentId, nextRetryAt: '2027-03-04T00:00:00.000Z' }), hostedPage);
  const [finalNotice] = await acts.sendFinalPaymentFailureNotice({ invoiceId, failureCode: 'card_declined' });
  await expectLink(mailer, finalNotice!, hostedPage);
});

test('trial ending and term renewal notices link to the customer portal', async () => {
  const mailer = new CapturingMailer();
  const { acts, subscription } = await declinedInvoice(mailer);
  for (const kind of ['trial_ending', 'term_renewal'] as const) {
    const [sent] = await acts.sendSubscriptionNotice({
      subscriptionId: subscription.id,
      kind,
      effectiveAt: '2027-06-01T00:00:00.000Z',
      termIndex: 0,
      sentAt: '2027-05-25T00:00:00.000Z',
    });
    await expectLink(mailer, sent!, PORTAL_URL);
  }
});

test('the instalment reminder links to the instalment’s invoice once issued, to the portal before', () => {
  const view = { customerName: 'Ada', planDescription: 'Fit-out', instalmentNumber: 2, amount: '$10.00', dueDate: '1 May 2027', charged: false };
  const before = renderEmail('instalment_reminder', { ...view, invoiceIssued: false, actionUrl: PORTAL_URL });
  expect(before.text).toContain(`Manage your payment details: ${PORTAL_URL}`);
  expect(unescapeHtml(before.html)).toContain(`href="${PORTAL_URL}"`);
  const invoiceUrl = `${PUBLIC_URL}/invoices/in_1/${invoiceLinkToken(SECRET, 'in_1')}`;
  const after = renderEmail('instalment_reminder', { ...view, invoiceIssued: true, actionUrl: invoiceUrl });
  expect(after.text).toContain(`View and pay the invoice: ${invoiceUrl}`);
  expect(unescapeHtml(after.html)).toContain(`href="${invoiceUrl}"`);
});
