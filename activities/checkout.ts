/**
 * The checkout session workflow's activities: reading a session's progress, closing it (undoing what
 * a declined or expired checkout created, through the workflows that own those records), and the
 * confirmations to the buyer and the merchant, once each through the outbox.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { DateTime } from 'luxon';
import type { ActivityDeps } from './deps';
import { CheckoutSession, Customer, Invoice, Subscription, type CheckoutSessionStatus } from '../db/entities';
import { formatMoney } from '../domain/money';
import { recordNotFound } from './errors';
import { queueAndDeliver } from './email/outbox';
import { renderEmail, type EmailKind } from './email/templates';
import { brandEmailView, loadBrand, loadCompanyProfile } from '../services/documents/brand';
import { checkoutProgress, type CheckoutProgressReport } from '../services/checkout/checkout-progress';
import { invoiceCollectionWorkflowId, voidInvoiceUpdate } from '../workflows/invoice-collection/contract';
import { cancelSignal, subscriptionWorkflowId } from '../workflows/subscription/contract';

/** Voids an open invoice through its collection (the only writer of its status); one settled meanwhile stays as it is. */
async function voidThroughCollection(client: Client, invoiceId: string, updateId: string): Promise<void> {
  try {
    await client.workflow.getHandle(invoiceCollectionWorkflowId(invoiceId)).executeUpdate(voidInvoiceUpdate, { updateId });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) {
      Context.current().log.warn(`checkout: invoice ${invoiceId} was not voided: ${(err as Error).message}`);
      return;
    }
    throw err;
  }
}

export function checkoutActivities({ orm, mailer, emailFrom }: ActivityDeps) {
  async function loadSession(sessionId: string) {
    const em = orm.em.fork();
    const session = await em.findOne(CheckoutSession, { id: sessionId });
    if (!session) throw recordNotFound('checkout_session', sessionId);
    return { em, session };
  }

  /** Undoes a checkout that will not be paid: its invoices voided, its subscriptions canceled now. */
  async function undo(session: CheckoutSession): Promise<void> {
    const client = Context.current().client;
    const em = orm.em.fork();
    const subscriptionInvoices = session.subscriptionIds.length ? await em.find(Invoice, { subscriptionId: { $in: session.subscriptionIds }, status: 'open' }) : [];
    const invoiceIds = [...(session.invoiceId ? [session.invoiceId] : []), ...subscriptionInvoices.map((i) => i.id)];
    for (const invoiceId of invoiceIds) await voidThroughCollection(client, invoiceId, `checkout-void:${session.id}:${invoiceId}`);
    for (const subscriptionId of session.subscriptionIds) {
      try {
        await client.workflow.getHandle(subscriptionWorkflowId(subscriptionId)).signal(cancelSignal, { atPeriodEnd: false, reason: 'payment_failed' });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
  }

  async function send(kind: EmailKind, key: string, to: string, session: CheckoutSession, view: Record<string, unknown>): Promise<string> {
    const email = await queueAndDeliver(orm, mailer, emailFrom, { ...renderEmail(kind, view), key, kind, to, customerId: session.customerId, relatedId: session.id });
    return email.id;
  }

  return {
    async checkCheckoutProgress({ sessionId }: { sessionId: string }): Promise<CheckoutProgressReport> {
      const progress = await checkoutProgress(orm.em.fork(), sessionId);
      if (!progress) throw recordNotFound('checkout_session', sessionId);
      return progress;
    },

    /** Closes an open session; a failed or expired one is undone first. Repeating it changes nothing. */
    async closeCheckoutSession(input: { sessionId: string; status: Exclude<CheckoutSessionStatus, 'open'>; failureMessage: string | null; at: string }): Promise<void> {
      const { session } = await loadSession(input.sessionId);
      if (session.status !== 'open') return;
      if (input.status !== 'complete') await undo(session);
      await orm.em.fork().transactional(async (em) => {
        const row = await em.findOneOrFail(CheckoutSession, { id: input.sessionId });
        if (row.status !== 'open') return;
        row.status = input.status;
        row.failureMessage = input.failureMessage;
        row.completedAt = input.status === 'complete' ? new Date(input.at) : null;
        row.updatedAt = new Date(input.at);
      });
    },

    /** The order confirmation to the buyer and the new-sale notice to the merchant's contact email (when the profile has one). */
    async sendCheckoutConfirmations({ sessionId }: { sessionId: string }): Promise<string[]> {
      const { em, session } = await loadSession(sessionId);
      const customer = await em.findOneOrFail(Customer, { id: session.customerId });
      const invoice = session.invoiceId ? await em.findOne(Invoice, { id: session.invoiceId }) : null;
      const brand = brandEmailView(await loadBrand(em));
      const subscriptions = session.subscriptionIds.length ? await em.find(Subscription, { id: { $in: session.subscriptionIds } }) : [];
      const trialEnd = subscriptions.find((s) => s.trialEnd !== null)?.trialEnd ?? null;
      const money = (amount: number) => formatMoney({ amount, currency: session.currency });
      const day = (date: Date) => DateTime.fromJSDate(date, { zone: customer.timeZone }).toFormat('d LLL yyyy');
      const view = {
        brand,
        customerName: customer.name,
        customerEmail: customer.email,
        sessionId: session.id,
        lines: session.lines.map((l) => ({
          description: l.description,
          quantity: l.quantity,
          amount: money(l.unitAmount * l.quantity),
          every: l.recurring ? `${l.recurring.count === 1 ? '' : `${l.recurring.count} `}${l.recurring.unit}${l.recurring.count === 1 ? '' : 's'}` : null,
        })),
        paidNow: session.amountTotal > 0 ? money(session.amountTotal) : null,
        invoiceNumber: invoice?.number ?? null,
        hasSubscriptions: session.subscriptionIds.length > 0,
        subscriptionStart: day(session.startDate),
        trialEnd: trialEnd ? day(trialEnd) : null,
      };
      const sent = [await send('checkout_completed', `checkout_completed:${session.id}`, customer.email, session, view)];
      const merchant = (await loadCompanyProfile(em)).contactEmail;
      if (merchant) sent.push(await send('checkout_completed_owner', `checkout_completed_owner:${session.id}`, merchant, session, view));
      return sent;
    },
  };
}
