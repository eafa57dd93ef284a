/**
 * Completing a checkout on a payment link: one transaction writes the session (found by its form
 * token, so a double submit finds the first and charges nothing more), the customer with the card as
 * default payment method, the open invoice for the one-time lines (charge_automatically, due on
 * receipt) and the subscriptions for the recurring lines; then the workflows start, each idempotent:
 * the invoice's collection charges it, each subscription bills its first period itself (after its
 * trial or at its future start), and the session's workflow (`checkout-<id>`) records the outcome,
 * undoes what a declined card created, and sends the confirmations.
 */
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { CheckoutSession, PaymentLink, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { invalidInput } from '../../domain/rule-violation';
import { computeDueDate } from '../../domain/payment-terms';
import { CustomerIdAttribute } from '../../workflows/shared/search-attributes';
import { checkoutWorkflowId } from '../../workflows/checkout/contract';
import type { InvoiceNumberFormat } from '../invoices/invoice-numbering';
import { issueInvoice } from '../invoices/invoice-records';
import { startInvoiceCollection } from '../invoices/start-invoice-collection';
import { addSubscriptionRecord, startSubscriptionWorkflow } from '../subscriptions/start-subscription';
import { checkoutCustomer, type BuyerDetails } from './checkout-buyer';
import { checkQuantities, groupByInterval, priceCheckoutOrder } from './checkout-order';
import { checkoutTokenHash, isCheckoutToken } from './checkout-token';
import { chargedAtCheckout } from './checkout-progress';

const DAY_MS = 86_400_000;

export interface CheckoutRequest {
  linkId: string;
  /** The form's token (services/checkout/checkout-token.ts). */
  token: string;
  /** One per link line, in the link's order; undefined keeps the link's quantity. */
  quantities: (number | undefined)[];
  buyer: BuyerDetails;
  /** `YYYY-MM-DD` (UTC): when the subscriptions start, if the link allows a future start. */
  startDate?: string;
  /** The gateway payment method from the card entry (`pm_...`). */
  paymentMethod: string;
  /**
   * The token of this buyer's earlier attempt on the same link that did not go through (the page
   * carries it into the form it shows again after a decline): its customer is billed again.
   */
  previousToken?: string;
}

export interface CheckoutDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  numbering: InvoiceNumberFormat;
  /**
   * Makes the card chargeable off-session for the customer the checkout billed (with Stripe: attached
   * to its gateway customer), before anything charges it. Idempotent; absent when there is nothing to do.
   */
  attachCard?: (customerId: string, paymentMethod: string) => Promise<void>;
}

/** A chosen start day (UTC) within the link's bound; today (or none) starts now. */
export function resolveStartDate(link: PaymentLink, day: string | undefined, now: Date): Date {
  if (day === undefined || day === '') return now;
  if (link.futureStartMaxDays === null) throw invalidInput('start_date', 'This link starts subscriptions at checkout.');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw invalidInput('start_date', 'Enter a date as YYYY-MM-DD.');
  const start = new Date(`${day}T00:00:00Z`);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  if (start.getTime() < today) throw invalidInput('start_date', 'Choose today or a later day.');
  if (start.getTime() > today + link.futureStartMaxDays * DAY_MS) throw invalidInput('start_date', `Choose a day within ${link.futureStartMaxDays} days.`);
  return start.getTime() === today ? now : start;
}

/** The session's records, written once; a second submit of the same form returns the first session. */
async function writeCheckout(deps: CheckoutDeps, request: CheckoutRequest): Promise<{ session: CheckoutSession; subscriptions: Subscription[] }> {
  return deps.orm.em.fork().transactional(async (em) => {
    const tokenHash = checkoutTokenHash(request.token);
    // Serializes double submits: the second waits here, then finds the first one's session.
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [tokenHash]);
    const existing = await em.findOne(CheckoutSession, { tokenHash });
    if (existing) {
      if (existing.paymentLinkId !== request.linkId) throw invalidInput('token', 'This form belongs to another payment link; reload the page.');
      return { session: existing, subscriptions: [] };
    }
    const link = await em.findOne(PaymentLink, { id: request.linkId }, { lockMode: LockMode.PESSIMISTIC_READ });
    if (!link || !link.active) throw invalidInput('link', 'This payment link is no longer available.');
    const now = new Date();
    const order = await priceCheckoutOrder(em, link, checkQuantities(link, request.quantities));
    const startDate = resolveStartDate(link, request.startDate, now);
    const earlier = isCheckoutToken(request.previousToken)
      ? await em.findOne(CheckoutSession, { tokenHash: checkoutTokenHash(request.previousToken), paymentLinkId: link.id, status: { $in: ['failed', 'expired'] } })
      : null;
    const customer = await checkoutCustomer(em, request.buyer, link.currency, request.paymentMethod, now, earlier?.customerId ?? null);
    await em.flush();

    const invoice =
      order.oneTime && order.oneTime.totals.total > 0
        ? await issueInvoice(
            em,
            deps.numbering,
            {
              customerId: customer.id,
              subscriptionId: null,
              periodIndex: null,
              periodStart: null,
              periodEnd: null,
              currency: link.currency,
              collectionMethod: 'charge_automatically',
              paymentTerms: 'due_on_receipt',
              dueDate: computeDueDate('due_on_receipt', now, customer.timeZone),
              finalizedAt: now,
            },
            order.oneTime,
          )
        : null;
    const sessionId = newId('checkoutSession');
    const trialEnd = link.trialPeriodDays === null ? null : new Date(startDate.getTime() + link.trialPeriodDays * DAY_MS);
    const subscriptions = groupByInterval(order.lines).map((group) =>
      addSubscriptionRecord(em, {
        id: newId('subscription'),
        customerId: customer.id,
        timeZone: customer.timeZone,
        currency: link.currency,
        intervalUnit: group.interval.unit,
        intervalCount: group.interval.count,
        items: group.lines.map((l) => ({ priceId: l.priceId, quantity: l.quantity, unitAmount: l.unitAmount })),
        collectionMethod: 'charge_automatically',
        startDate,
        trialEnd,
        metadata: { payment_link: link.id, checkout_session: sessionId },
        now,
      }),
    );
    const session = em.create(CheckoutSession, {
      id: sessionId,
      tokenHash,
      paymentLinkId: link.id,
      customerId: customer.id,
      status: 'open',
      currency: link.currency,
      lines: order.lines,
      amountTotal: invoice?.total ?? 0,
      recurringTotal: order.recurring?.totals.total ?? 0,
      invoiceId: invoice?.id ?? null,
      subscriptionIds: subscriptions.map((s) => s.id),
      startDate,
      failureMessage: null,
      workflowId: checkoutWorkflowId(sessionId),
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    });
    await em.flush();
    return { session, subscriptions };
  });
}

async function startCheckoutWorkflow(temporal: Client, taskQueue: string, session: CheckoutSession): Promise<void> {
  try {
    await temporal.workflow.start('checkoutWorkflow', {
      workflowId: session.workflowId,
      taskQueue,
      args: [{ sessionId: session.id }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: CustomerIdAttribute, value: session.customerId }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/**
 * Writes the checkout (once per form token) and starts what charges it. Returns the session; its
 * status moves on in its workflow (open → complete or failed), which the page waits for.
 */
export async function completeCheckout(deps: CheckoutDeps, request: CheckoutRequest): Promise<CheckoutSession> {
  const { session, subscriptions } = await writeCheckout(deps, request).catch((err: unknown) => {
    // The lock makes this rare; should a twin submit still win the insert, its session is the answer.
    if (err instanceof UniqueConstraintViolationException) return writeCheckout(deps, request);
    throw err;
  });
  if (session.status !== 'open') return session;
  // Every start is idempotent, so a resubmitted form that finds an open session finishes any start a
  // crash interrupted; the records already say what to start.
  await deps.attachCard?.(session.customerId, request.paymentMethod);
  if (session.invoiceId) {
    await startInvoiceCollection(deps.temporal, deps.taskQueue, {
      invoiceId: session.invoiceId,
      customerId: session.customerId,
      collectionMethod: 'charge_automatically',
      ownerWorkflowId: null,
      // The buyer is at the page: it shows a decline, and the checkout undoes the order (no retries to announce).
      customerNotices: false,
    });
  }
  const toStart = subscriptions.length || !session.subscriptionIds.length ? subscriptions : await deps.orm.em.fork().find(Subscription, { id: { $in: session.subscriptionIds } });
  for (const subscription of toStart) {
    await startSubscriptionWorkflow(deps.temporal, deps.taskQueue, subscription, { firstChargeAtCheckout: chargedAtCheckout(session, subscription) });
  }
  await startCheckoutWorkflow(deps.temporal, deps.taskQueue, session);
  return session;
}
