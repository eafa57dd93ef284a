import type { MikroORM } from '@mikro-orm/postgresql';
import { Customer } from '../../db/entities';
import type { CardSetupGateway } from './card-setup';

/**
 * Our customer's customer at the gateway (Stripe `cus_...`), created the first time a card is saved
 * through the gateway's card form and kept in `customers.gateway_customer_id`. A card saved for later
 * off-session charges must be attached to a gateway customer (Stripe refuses to reuse one that is
 * not), and the charge names that customer (activities/charging.ts passes it to the gateway).
 *
 * Two card forms opened at once ask the gateway with the same idempotency key, get the same id back,
 * and the first write wins; the row is only ever set from null.
 */
export async function ensureGatewayCustomer(orm: MikroORM, gateway: CardSetupGateway, customerId: string): Promise<string> {
  const em = orm.em.fork();
  const customer = await em.findOne(Customer, { id: customerId });
  if (!customer) throw new Error(`Customer ${customerId} does not exist`);
  if (customer.gatewayCustomerId) return customer.gatewayCustomerId;

  const created = await gateway.createCustomer({ customerId: customer.id, email: customer.email, name: customer.name });
  await em.nativeUpdate(Customer, { id: customer.id, gatewayCustomerId: null }, { gatewayCustomerId: created, updatedAt: new Date() });
  const stored = await em.fork().findOneOrFail(Customer, { id: customer.id }, { fields: ['gatewayCustomerId'] });
  return stored.gatewayCustomerId ?? created;
}
