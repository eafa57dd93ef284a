import { DateTime } from 'luxon';
import type { ActivityDeps } from './deps';
import { Customer, Subscription } from '../db/entities';
import { describeInterval } from '../domain/frequency';
import { recordNotFound } from './errors';
import { queueAndDeliver } from './email/outbox';
import { renderEmail, type EmailKind } from './email/templates';
import { brandEmailView, loadBrand } from '../services/documents/brand';
import { customerLinks } from './email/customer-links';

export interface SubscriptionNoticeRequest {
  subscriptionId: string;
  /** trial_ending: to the customer. term_renewal / term_expiry: to the customer and the account owner. */
  kind: 'trial_ending' | 'term_renewal' | 'term_expiry';
  /** When the trial or the term ends. */
  effectiveAt: string;
  termIndex?: number;
  /** Workflow time, for the log line. */
  sentAt: string;
}

/** Notices a subscription workflow sends ahead of a date: the end of a trial, the end of a commitment term. */
export function subscriptionNoticeActivities(deps: ActivityDeps) {
  const { orm, mailer, emailFrom, log } = deps;
  const { portalUrl } = customerLinks(deps);
  return {
    /** Sends each notice once (outbox key per kind, subscription and date); returns the outbox ids. */
    async sendSubscriptionNotice(request: SubscriptionNoticeRequest): Promise<string[]> {
      const em = orm.em.fork();
      const subscription = await em.findOne(Subscription, { id: request.subscriptionId });
      if (!subscription) throw recordNotFound('subscription', request.subscriptionId);
      const customer = await em.findOneOrFail(Customer, { id: subscription.customerId });
      const products = await em.execute<{ name: string; quantity: number }[]>(
        `select p.name, si.quantity from subscription_items si
           join prices pr on pr.id = si.price_id join products p on p.id = pr.product_id
          where si.subscription_id = ? order by si.position`,
        [subscription.id],
      );
      const termLength =
        subscription.commitmentIntervalUnit && subscription.commitmentIntervalCount
          ? `${subscription.commitmentIntervalCount}-${subscription.commitmentIntervalUnit}`
          : null;
      const view = {
        brand: brandEmailView(await loadBrand(em)),
        customerName: customer.name,
        customerEmail: customer.email,
        subscriptionId: subscription.id,
        planDescription: products.map((p) => (p.quantity > 1 ? `${p.name} × ${p.quantity}` : p.name)).join(', '),
        frequency: describeInterval({ unit: subscription.intervalUnit, count: subscription.intervalCount }),
        effectiveDate: DateTime.fromISO(request.effectiveAt, { zone: subscription.timeZone }).toFormat('d LLL yyyy'),
        termLength,
        renews: request.kind === 'term_renewal',
        charged: subscription.collectionMethod === 'charge_automatically',
        // Where the customer changes or cancels the subscription before the date.
        portalUrl,
      };
      const sent: string[] = [];
      const send = async (kind: EmailKind, to: string) => {
        const email = await queueAndDeliver(orm, mailer, emailFrom, {
          ...renderEmail(kind, view),
          key: `${kind}:${subscription.id}:${request.effectiveAt}`,
          kind,
          to,
          customerId: customer.id,
          relatedId: subscription.id,
        });
        sent.push(email.id);
      };
      if (request.kind === 'trial_ending') {
        await send('subscription_trial_ending', customer.email);
      } else {
        await send(request.kind === 'term_renewal' ? 'subscription_term_renewal' : 'subscription_term_expiry', customer.email);
        if (customer.accountOwnerEmail) await send('subscription_term_reminder_owner', customer.accountOwnerEmail);
      }
      log.info({ subscriptionId: subscription.id, kind: request.kind, effectiveAt: request.effectiveAt, sentAt: request.sentAt }, 'subscription notice sent');
      return sent;
    },
  };
}
