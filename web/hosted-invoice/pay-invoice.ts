/**
 * Paying an invoice from its hosted page: the card entered is saved as the customer's default payment
 * method, then the invoice's collection charges it (the same two steps as the portal's
 * `POST /v1/portal/payment-method` and `POST /v1/portal/invoices/:id/pay`), and, when the customer
 * ticked the autopay box, the subscription switches to autopay with the consent recorded first.
 */
import type { FastifyBaseLogger } from 'fastify';
import { AutopayConsent, Invoice, Payment, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { ApiError } from '../../api/errors';
import { PendingChange } from '../../api/workflow-changes';
import { savePaymentMethod } from '../../api/customers/payment-method';
import { invoiceCollectionActions } from '../../api/invoices/collection-actions';
import { subscriptionLifecycleActions } from '../../api/subscriptions/lifecycle-actions';
import type { RouteDeps } from '../../api/route-deps';

export type HostedPaymentOutcome =
  /** The invoice is paid (now, or by an earlier submission of the same form). */
  | { outcome: 'paid'; autopay: boolean }
  /** The charge was declined: the gateway's message for the customer. */
  | { outcome: 'declined'; message: string | null }
  /** The charge is still in progress (the collection did not answer in time): the page says to reload. */
  | { outcome: 'pending' }
  /** Void, uncollectible, or otherwise not payable by card any more. */
  | { outcome: 'not_payable' };

/** Who accepted the autopay authorisation, and the words they were shown. */
export interface AutopayAcceptance {
  consentText: string;
  clientIp: string;
  userAgent: string | null;
}

/** The subscription an invoice's page may offer autopay for: its own, still billed by emailed invoice. */
export async function autopayCandidate(deps: Pick<RouteDeps, 'orm'>, invoice: Invoice): Promise<Subscription | null> {
  if (!invoice.subscriptionId) return null;
  const subscription = await deps.orm.em.fork().findOne(Subscription, { id: invoice.subscriptionId, customerId: invoice.customerId });
  if (!subscription || subscription.collectionMethod !== 'send_invoice' || subscription.status === 'canceled') return null;
  return subscription;
}

export function hostedInvoicePayment(deps: RouteDeps) {
  const { orm } = deps;
  const collection = invoiceCollectionActions(deps);
  const lifecycle = subscriptionLifecycleActions(deps);

  async function latestDecline(invoiceId: string): Promise<string | null> {
    const failed = await orm.em.fork().findOne(Payment, { invoiceId, status: 'failed' }, { orderBy: { createdAt: 'desc' } });
    return failed?.failureMessage ?? null;
  }

  /** Records the consent, then switches the subscription: the evidence exists before the change that relies on it. */
  async function turnOnAutopay(invoice: Invoice, paymentMethod: string, acceptance: AutopayAcceptance, log: FastifyBaseLogger): Promise<boolean> {
    const subscription = await autopayCandidate(deps, invoice);
    if (!subscription) return false;
    const em = orm.em.fork();
    em.create(AutopayConsent, {
      id: newId('autopayConsent'),
      customerId: invoice.customerId,
      subscriptionId: subscription.id,
      invoiceId: invoice.id,
      paymentMethod,
      consentText: acceptance.consentText,
      acceptedAt: new Date(),
      clientIp: acceptance.clientIp,
      userAgent: acceptance.userAgent,
    });
    await em.flush();
    await lifecycle.switchCollectionMethod(subscription.id, 'charge_automatically', log);
    return true;
  }

  /**
   * `invoice` was checked open by the caller. A double submit of one form sends the same change (the
   * route keys it by the form's submission id), which the collection applies once: the second answer is
   * the first one's outcome, never a second charge. A paid invoice (another tab paid it) answers paid.
   */
  async function pay(
    invoice: Invoice,
    paymentMethod: string,
    autopay: AutopayAcceptance | null,
    log: FastifyBaseLogger,
  ): Promise<HostedPaymentOutcome> {
    await savePaymentMethod(deps, invoice.customerId, paymentMethod, log);
    let answered = false;
    let refusal: string | null = null;
    try {
      await collection.retryNow(invoice.id);
      answered = true;
    } catch (err) {
      if (err instanceof PendingChange) return { outcome: 'pending' };
      // 409: paid or void meanwhile, or a charge already in progress; the invoice read below says which.
      if (!(err instanceof ApiError) || err.statusCode !== 409) throw err;
      refusal = err.code;
      log.info({ invoiceId: invoice.id, code: err.code }, 'hosted invoice payment not sent');
    }
    const after = await orm.em.fork().findOneOrFail(Invoice, { id: invoice.id });
    if (after.status === 'paid') {
      const switched = autopay ? await turnOnAutopay(after, paymentMethod, autopay, log) : false;
      return { outcome: 'paid', autopay: switched };
    }
    // Not open, or open with no collection left to charge it (settled by hand from here on).
    if (after.status !== 'open' || refusal === 'collection_not_running') return { outcome: 'not_payable' };
    // Answered and still open: this attempt (or, for a repeated submission, the first one) was declined.
    // Refused with 409 and still open: another attempt is being charged right now.
    return answered ? { outcome: 'declined', message: await latestDecline(invoice.id) } : { outcome: 'pending' };
  }

  return { pay };
}
