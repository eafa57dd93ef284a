/**
 * Registration on the portal's page: a new customer, its card saved as the default payment method,
 * then what it chose: a one-time price is invoiced and charged at once (an open invoice collected
 * by its workflow), a recurring price starts a subscription (services/subscriptions/start-subscription.ts)
 * with the customer's recorded consent to future charges. An address that already belongs to a customer
 * is refused, so a registration never adds a second account for the same inbox.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { ChargeConsent, Customer, Subscription, type Invoice } from '../../db/entities';
import { newId } from '../../db/ids';
import { computeDueDate } from '../../domain/payment-terms';
import { issueInvoice, priceInvoice } from '../invoices/invoice-records';
import type { InvoiceNumberFormat } from '../invoices/invoice-numbering';
import { startInvoiceCollection } from '../invoices/start-invoice-collection';
import { addSubscriptionRecord, startSubscriptionWorkflow } from '../subscriptions/start-subscription';
import type { OfferedPrice } from './offered-prices';

export interface Registration {
  name: string;
  email: string;
  offer: OfferedPrice;
  /** `pm_...` from the card entry. */
  paymentMethod: string;
  /** The consent sentence the customer ticked (required for a recurring price). */
  consent: { text: string; ipAddress: string | null; userAgent: string | null } | null;
  now: Date;
  /** Makes the card chargeable for the new customer (the card entry's `attachCard`), before anything is billed. */
  attachCard?: (customerId: string, paymentMethod: string) => Promise<void>;
}

export type RegistrationOutcome =
  | { registered: true; customerId: string; subscriptionId: string | null; invoiceId: string | null }
  | { registered: false; reason: 'email_taken' };

export interface RegistrationDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  invoiceNumbering: InvoiceNumberFormat;
}

/** The description of the one-time line: the product, and the price's nickname when it has one. */
const lineDescription = ({ product, price }: OfferedPrice): string => (price.nickname ? `${product.name} (${price.nickname})` : product.name);

export async function registerCustomer(deps: RegistrationDeps, registration: Registration): Promise<RegistrationOutcome> {
  const { orm } = deps;
  const { offer, now } = registration;
  const email = registration.email.trim();
  if (offer.price.type === 'recurring' && !registration.consent) throw new Error('a recurring price needs the customer’s consent to future charges');

  // Check and insert under a lock on the address, so two registrations racing with one address make one customer.
  const created = await orm.em.fork().transactional(async (em) => {
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`registration:${email.toLowerCase()}`]);
    const [taken] = await em.execute<{ id: string }[]>('select id from customers where lower(email) = lower(?) limit 1', [email]);
    if (taken) return null;
    const customer = em.create(Customer, {
      id: newId('customer'),
      email,
      name: registration.name.trim(),
      currency: offer.price.currency,
      timeZone: 'UTC',
      billingAddress: null,
      defaultPaymentMethod: registration.paymentMethod,
      gatewayCustomerId: null,
      accountOwnerEmail: null,
      metadata: { source: 'portal_registration' },
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    return customer;
  });
  if (!created) return { registered: false, reason: 'email_taken' };
  if (registration.attachCard) {
    try {
      await registration.attachCard(created.id, registration.paymentMethod);
    } catch (err) {
      await discardRegistration(orm, created.id);
      throw err;
    }
  }

  if (offer.price.type === 'recurring') {
    let subscriptionId: string;
    try {
      subscriptionId = await startRecurring(deps, created, registration);
    } catch (err) {
      // Nothing will bill what could not start: the registration leaves no half-made account behind.
      await discardRegistration(orm, created.id);
      throw err;
    }
    return { registered: true, customerId: created.id, subscriptionId, invoiceId: null };
  }
  let invoice: Invoice;
  try {
    invoice = await issueOneTimeInvoice(deps, created, offer, now);
  } catch (err) {
    await discardRegistration(orm, created.id);
    throw err;
  }
  // From here the invoice is numbered and stays (the sequence is gapless): a collection that could not
  // start is started by finalizing it again (POST /v1/invoices/:id/finalize), as for any one-off invoice.
  await startInvoiceCollection(deps.temporal, deps.taskQueue, { invoiceId: invoice.id, customerId: created.id, collectionMethod: 'charge_automatically', ownerWorkflowId: null });
  return { registered: true, customerId: created.id, subscriptionId: null, invoiceId: invoice.id };
}

async function startRecurring({ orm, temporal, taskQueue }: RegistrationDeps, customer: Customer, { offer, consent, now }: Registration): Promise<string> {
  const em = orm.em.fork();
  const { price } = offer;
  const id = newId('subscription');
  addSubscriptionRecord(em, {
    id,
    customerId: customer.id,
    timeZone: customer.timeZone,
    currency: price.currency,
    intervalUnit: price.intervalUnit!,
    intervalCount: price.intervalCount!,
    items: [{ priceId: price.id, quantity: 1, unitAmount: price.unitAmount }],
    collectionMethod: 'charge_automatically',
    startDate: now,
    metadata: { source: 'portal_registration' },
    now,
  });
  await em.flush();
  em.create(ChargeConsent, {
    id: newId('chargeConsent'),
    customerId: customer.id,
    subscriptionId: id,
    priceId: price.id,
    text: consent!.text,
    givenAt: now,
    ipAddress: consent!.ipAddress,
    userAgent: consent!.userAgent?.slice(0, 1000) ?? null,
  });
  await em.flush();
  await startSubscriptionWorkflow(temporal, taskQueue, await orm.em.fork().findOneOrFail(Subscription, { id }));
  return id;
}

/** The open invoice for a one-time price, numbered in its own transaction (rolled back whole on failure). */
function issueOneTimeInvoice({ orm, invoiceNumbering }: RegistrationDeps, customer: Customer, offer: OfferedPrice, now: Date): Promise<Invoice> {
  return orm.em.fork().transactional(async (em) => {
    const priced = priceInvoice({
      currency: offer.price.currency,
      lines: [{ description: lineDescription(offer), priceId: offer.price.id, unitAmount: offer.price.unitAmount, quantity: 1 }],
    });
    return issueInvoice(
      em,
      invoiceNumbering,
      {
        customerId: customer.id,
        subscriptionId: null,
        periodIndex: null,
        periodStart: null,
        periodEnd: null,
        currency: offer.price.currency,
        collectionMethod: 'charge_automatically',
        paymentTerms: 'due_on_receipt',
        dueDate: computeDueDate('due_on_receipt', now, customer.timeZone),
        finalizedAt: now,
      },
      priced,
    );
  });
}

/** Removes what a failed registration wrote before anything was numbered or billed, children first (no cascades). */
async function discardRegistration(orm: MikroORM, customerId: string): Promise<void> {
  const em = orm.em.fork();
  await em.nativeDelete(ChargeConsent, { customerId });
  await em.execute('delete from subscription_items where subscription_id in (select id from subscriptions where customer_id = ?)', [customerId]);
  await em.nativeDelete(Subscription, { customerId });
  await em.nativeDelete(Customer, { id: customerId });
}
