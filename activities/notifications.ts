import { DateTime } from 'luxon';
import type { ActivityDeps } from './deps';
import { Customer, Invoice, Payment } from '../db/entities';
import { formatMoney } from '../domain/money';
import { recordNotFound } from './errors';
import { queueAndDeliver } from './email/outbox';
import { renderEmail, type EmailKind } from './email/templates';
import { brandEmailView, loadBrand } from '../services/documents/brand';
import { customerLinks } from './email/customer-links';

const formatDate = (date: Date | null, timeZone: string): string | null =>
  date === null ? null : DateTime.fromJSDate(date, { zone: timeZone }).toFormat('d LLL yyyy');

/** Customer emails about invoices and payments. Each goes through the outbox with a unique key. */
export function notificationActivities(deps: ActivityDeps) {
  const { orm, mailer, emailFrom } = deps;
  const links = customerLinks(deps);
  async function loadInvoice(invoiceId: string) {
    const em = orm.em.fork();
    const invoice = await em.findOne(Invoice, { id: invoiceId });
    if (!invoice) throw recordNotFound('invoice', invoiceId);
    const customer = await em.findOneOrFail(Customer, { id: invoice.customerId });
    return { invoice, customer };
  }

  async function loadPayment(paymentId: string) {
    const payment = await orm.em.fork().findOne(Payment, { id: paymentId });
    if (!payment) throw recordNotFound('payment', paymentId);
    return { payment, ...(await loadInvoice(payment.invoiceId)) };
  }

  const invoiceView = (invoice: Invoice, customer: Customer) => ({
    customerName: customer.name,
    invoiceNumber: invoice.number,
    periodStart: formatDate(invoice.periodStart, customer.timeZone),
    periodEnd: formatDate(invoice.periodEnd, customer.timeZone),
    dueDate: formatDate(invoice.dueDate, customer.timeZone),
    // The invoice's hosted page: view, download and pay it, or pay with a new card after a decline.
    invoiceUrl: links.invoiceUrl(invoice.id),
  });

  /** Renders `kind` for the invoice's customer and sends it once under `key`. Returns the outbox id. */
  async function notify(
    kind: EmailKind,
    key: string,
    invoice: Invoice,
    customer: Customer,
    view: Record<string, unknown>,
    to: string = customer.email,
  ): Promise<string> {
    // Branding is read per email (one primary-key lookup) so a profile change shows in the next one.
    const brand = brandEmailView(await loadBrand(orm.em.fork()));
    const rendered = renderEmail(kind, { ...invoiceView(invoice, customer), ...view, brand });
    const email = await queueAndDeliver(orm, mailer, emailFrom, {
      ...rendered,
      key,
      kind,
      to,
      customerId: customer.id,
      relatedId: invoice.id,
    });
    return email.id;
  }

  return {
    async sendPaymentReceipt({ paymentId }: { paymentId: string }): Promise<string> {
      const { payment, invoice, customer } = await loadPayment(paymentId);
      return notify('payment_receipt', `payment_receipt:${payment.id}`, invoice, customer, {
        amount: formatMoney({ amount: payment.amount, currency: payment.currency }),
        paymentId: payment.id,
        paymentMethod: payment.paymentMethod,
      });
    },

    /** One per failed attempt; says when the next automatic retry is, if the dunning policy has one. */
    async sendPaymentFailedNotice({ paymentId, nextRetryAt = null }: { paymentId: string; nextRetryAt?: string | null }): Promise<string> {
      const { payment, invoice, customer } = await loadPayment(paymentId);
      return notify('payment_failed', `payment_failed:${payment.id}`, invoice, customer, {
        amount: formatMoney({ amount: payment.amount, currency: payment.currency }),
        failureCode: payment.failureCode ?? 'unknown',
        failureMessage: payment.failureMessage ?? 'the payment was declined',
        nextRetryDate: nextRetryAt === null ? null : formatDate(new Date(nextRetryAt), customer.timeZone),
      });
    },

    /**
     * Dunning gave up (permanent decline or retries exhausted): the customer and, when the account
     * has one, its owner hear it once each. Returns the outbox ids.
     */
    async sendFinalPaymentFailureNotice({ invoiceId, failureCode }: { invoiceId: string; failureCode: string | null }): Promise<string[]> {
      const { invoice, customer } = await loadInvoice(invoiceId);
      const view = {
        amount: formatMoney({ amount: invoice.amountDue, currency: invoice.currency }),
        failureCode: failureCode ?? 'unknown',
        customerEmail: customer.email,
        markedUncollectible: invoice.status === 'uncollectible',
      };
      const sent = [await notify('payment_failed_final', `payment_failed_final:${invoice.id}`, invoice, customer, view)];
      if (customer.accountOwnerEmail) {
        sent.push(
          await notify('payment_failed_owner', `payment_failed_owner:${invoice.id}`, invoice, customer, view, customer.accountOwnerEmail),
        );
      }
      return sent;
    },

    /** An emailed invoice passed its due date unpaid. */
    async sendInvoiceOverdueReminder({ invoiceId }: { invoiceId: string }): Promise<string> {
      const { invoice, customer } = await loadInvoice(invoiceId);
      return notify('invoice_overdue', `invoice_overdue:${invoice.id}`, invoice, customer, {
        amount: formatMoney({ amount: invoice.amountDue, currency: invoice.currency }),
      });
    },

    /** `copy` 0 is the invoice's first email; a resend on request is copy 1, 2, ... (one outbox row each). */
    async sendInvoice({ invoiceId, copy = 0 }: { invoiceId: string; copy?: number }): Promise<string> {
      const { invoice, customer } = await loadInvoice(invoiceId);
      return notify('invoice_sent', copy === 0 ? `invoice_sent:${invoice.id}` : `invoice_sent:${invoice.id}:${copy}`, invoice, customer, {
        amount: formatMoney({ amount: invoice.amountDue, currency: invoice.currency }),
      });
    },
  };
}
