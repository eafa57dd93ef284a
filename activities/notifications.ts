import { DateTime } from 'luxon';
import type { ActivityDeps } from './deps';
import { Customer, Invoice, Payment } from '../db/entities';
import { formatMoney } from '../domain/money';
import { recordNotFound } from './errors';
import { queueAndDeliver } from './email/outbox';
import { renderEmail, type EmailKind } from './email/templates';

const formatDate = (date: Date | null, timeZone: string): string | null =>
  date === null ? null : DateTime.fromJSDate(date, { zone: timeZone }).toFormat('d LLL yyyy');

/** Customer emails about invoices and payments. Each goes through the outbox with a unique key. */
export function notificationActivities({ orm, mailer, emailFrom }: ActivityDeps) {
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
  });

  /** Renders `kind` for the invoice's customer and sends it once under `key`. Returns the outbox id. */
  async function notify(kind: EmailKind, key: string, invoice: Invoice, customer: Customer, view: Record<string, unknown>): Promise<string> {
    const rendered = renderEmail(kind, { ...invoiceView(invoice, customer), ...view });
    const email = await queueAndDeliver(orm, mailer, emailFrom, {
      ...rendered,
      key,
      kind,
      to: customer.email,
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

    async sendPaymentFailedNotice({ paymentId }: { paymentId: string }): Promise<string> {
      const { payment, invoice, customer } = await loadPayment(paymentId);
      return notify('payment_failed', `payment_failed:${payment.id}`, invoice, customer, {
        amount: formatMoney({ amount: payment.amount, currency: payment.currency }),
        failureCode: payment.failureCode ?? 'unknown',
        failureMessage: payment.failureMessage ?? 'the payment was declined',
      });
    },

    async sendInvoice({ invoiceId }: { invoiceId: string }): Promise<string> {
      const { invoice, customer } = await loadInvoice(invoiceId);
      return notify('invoice_sent', `invoice_sent:${invoice.id}`, invoice, customer, {
        amount: formatMoney({ amount: invoice.amountDue, currency: invoice.currency }),
      });
    },
  };
}
