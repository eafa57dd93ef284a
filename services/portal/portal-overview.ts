/**
 * What the portal's home page shows a customer: how many invoices are open and what they owe (per
 * currency: amounts in different currencies never add up), and the next renewal of a running
 * subscription. Read from PostgreSQL like every list.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invoice, Subscription } from '../../db/entities';

export interface PortalOverview {
  openInvoices: number;
  /** Amount still due on open invoices, per currency (integer minor units), largest first. */
  amountDue: { currency: string; amount: number }[];
  /** The soonest next billing date of a subscription that bills (active, trialing, past due), or null. */
  nextRenewal: { subscriptionId: string; date: Date } | null;
}

export async function portalOverview(em: EntityManager, customerId: string): Promise<PortalOverview> {
  const open = await em.find(Invoice, { customerId, status: 'open' }, { fields: ['id', 'currency', 'amountDue'] });
  const due = new Map<string, number>();
  for (const invoice of open) due.set(invoice.currency, (due.get(invoice.currency) ?? 0) + invoice.amountDue);
  const next = await em.findOne(
    Subscription,
    { customerId, status: { $in: ['active', 'trialing', 'past_due'] }, nextBillingDate: { $ne: null } },
    { orderBy: { nextBillingDate: 'asc' }, fields: ['id', 'nextBillingDate'] },
  );
  return {
    openInvoices: open.length,
    amountDue: [...due].map(([currency, amount]) => ({ currency, amount })).sort((a, b) => b.amount - a.amount),
    nextRenewal: next?.nextBillingDate ? { subscriptionId: next.id, date: next.nextBillingDate } : null,
  };
}
