import type { FastifyBaseLogger } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Customer, Invoice } from '../../db/entities';
import { invoiceCollectionWorkflowId, paymentMethodUpdatedSignal } from '../../workflows/invoice-collection/contract';
import { notFound } from '../errors';
import { oneCustomerRevenue } from '../../services/customers/customer-revenue';
import { customerResource } from './serialization';

/**
 * Saves a customer's new default payment method and retries at once its open invoices that failed to
 * charge. Behind `POST /v1/customers/:id/payment-method` and the customer portal's `POST /v1/portal/payment-method`.
 */
export async function savePaymentMethod(
  { orm, temporal }: { orm: MikroORM; temporal: Client },
  customerId: string,
  paymentMethod: string,
  log: FastifyBaseLogger,
) {
  const em = orm.em.fork();
  const customer = await em.findOne(Customer, { id: customerId });
  if (!customer) throw notFound('customer', customerId);
  customer.defaultPaymentMethod = paymentMethod;
  customer.updatedAt = new Date();
  await em.flush();

  // Failed charges still owed: each one's collection retries now. A signal to a collection that
  // finished meanwhile has nothing to retry, so "not found" is fine; other errors leave the
  // scheduled retries in place and are logged, the saved method stands.
  const failing = await em.find(Invoice, {
    customerId: customer.id,
    status: 'open',
    collectionMethod: 'charge_automatically',
    $or: [{ pastDueAt: { $ne: null } }, { nextPaymentAttempt: { $ne: null } }],
  });
  await Promise.all(
    failing.map(async (invoice) => {
      try {
        await temporal.workflow.getHandle(invoiceCollectionWorkflowId(invoice.id)).signal(paymentMethodUpdatedSignal);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) log.warn({ err, invoiceId: invoice.id }, 'could not ask for a retry with the new payment method');
      }
    }),
  );
  return customerResource(customer, await oneCustomerRevenue(em, customer.id));
}
