/**
 * What a checkout session's records say about its charges, read by its workflow and shown by the
 * page: paid (every charge due now succeeded, or nothing is due now), declined (a charge failed: the
 * gateway's message for the buyer), or pending (a charge is still in flight).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { CheckoutSession, Invoice, Payment, Subscription } from '../../db/entities';
import type { CheckoutProgress } from '../../workflows/checkout/contract';

export type CheckoutProgressReport = { state: CheckoutProgress; failureMessage: string | null };

/** A subscription started later than this after checkout bills nothing now (the buyer chose a future start). */
const START_NOW_TOLERANCE_MS = 60_000;

/** Paid, declined (its latest attempt failed) or pending, for one invoice. */
async function invoiceProgress(em: EntityManager, invoice: Invoice): Promise<CheckoutProgressReport> {
  if (invoice.status === 'paid') return { state: 'paid', failureMessage: null };
  const [latest] = await em.find(Payment, { invoiceId: invoice.id }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 1 });
  if (latest?.status === 'failed' || invoice.status === 'void' || invoice.status === 'uncollectible') {
    return { state: 'declined', failureMessage: latest?.failureMessage ?? 'Your payment could not be completed.' };
  }
  return { state: 'pending', failureMessage: null };
}

/** Whether the checkout waits for this subscription's first charge: no trial, and it starts now (not on a later day the buyer chose). */
export function chargedAtCheckout(session: Pick<CheckoutSession, 'createdAt'>, subscription: Pick<Subscription, 'trialEnd' | 'startDate'>): boolean {
  return subscription.trialEnd === null && subscription.startDate.getTime() <= session.createdAt.getTime() + START_NOW_TOLERANCE_MS;
}

async function subscriptionProgress(em: EntityManager, session: CheckoutSession, subscription: Subscription): Promise<CheckoutProgressReport> {
  if (subscription.status === 'canceled') return { state: 'declined', failureMessage: 'Your subscription could not be started.' };
  if (!chargedAtCheckout(session, subscription)) return { state: 'paid', failureMessage: null };
  const [first] = await em.find(Invoice, { subscriptionId: subscription.id }, { orderBy: { id: 'asc' }, limit: 1 });
  // Its workflow has not billed the first period yet.
  if (!first) return { state: 'pending', failureMessage: null };
  return invoiceProgress(em, first);
}

export async function checkoutProgress(em: EntityManager, sessionId: string): Promise<CheckoutProgressReport | null> {
  const session = await em.findOne(CheckoutSession, { id: sessionId });
  if (!session) return null;
  const reports: CheckoutProgressReport[] = [];
  if (session.invoiceId) reports.push(await invoiceProgress(em, await em.findOneOrFail(Invoice, { id: session.invoiceId })));
  const subscriptions = session.subscriptionIds.length ? await em.find(Subscription, { id: { $in: session.subscriptionIds } }) : [];
  for (const subscription of subscriptions) reports.push(await subscriptionProgress(em, session, subscription));
  const declined = reports.find((r) => r.state === 'declined');
  if (declined) return declined;
  if (reports.some((r) => r.state === 'pending')) return { state: 'pending', failureMessage: null };
  return { state: 'paid', failureMessage: null };
}
