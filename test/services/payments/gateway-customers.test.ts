import { Customer } from '../../../db/entities';
import type { CardSetupGateway, GatewayCustomerRequest } from '../../../services/payments/card-setup';
import { ensureGatewayCustomer } from '../../../services/payments/gateway-customers';
import { stripeCardEntry } from '../../../web/payments/stripe-card-entry';
import { createCustomer } from '../../support/fixtures';
import { openServiceStack, type ServiceStack } from '../../support/service-stack';

/** A gateway that, like Stripe with an idempotency key, answers the same customer for the same key. */
function idempotentGateway(): CardSetupGateway & { requests: GatewayCustomerRequest[]; attached: [string, string][] } {
  const requests: GatewayCustomerRequest[] = [];
  const attached: [string, string][] = [];
  return {
    requests,
    attached,
    createCustomer: async (request) => {
      requests.push(request);
      // Both callers are inside the gateway at once before either stores the answer.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return `cus_gw_${request.customerId.slice(-8)}`;
    },
    createSetup: async () => ({ id: 'seti_1', clientSecret: 'seti_1_secret' }),
    retrieveSetup: async () => {
      throw new Error('not used');
    },
    attachCard: async (paymentMethod, gatewayCustomerId) => {
      attached.push([paymentMethod, gatewayCustomerId]);
    },
  };
}

describe('the gateway customer of a customer', () => {
  let stack: ServiceStack;

  beforeAll(async () => {
    stack = await openServiceStack();
  });

  afterAll(() => stack.close());

  it('is created at the gateway the first time, stored, and reused after that', async () => {
    const customer = await createCustomer(stack.orm, { email: 'grace@example.com', name: 'Grace Hopper' });
    const gateway = idempotentGateway();

    const first = await ensureGatewayCustomer(stack.orm, gateway, customer.id);
    const again = await ensureGatewayCustomer(stack.orm, gateway, customer.id);

    expect(again).toBe(first);
    expect(gateway.requests).toEqual([{ customerId: customer.id, email: 'grace@example.com', name: 'Grace Hopper' }]);
    const stored = await stack.orm.em.fork().findOneOrFail(Customer, { id: customer.id });
    expect(stored.gatewayCustomerId).toBe(first);
  });

  it('keeps one gateway customer when two card forms open at once', async () => {
    const customer = await createCustomer(stack.orm);
    const gateway = idempotentGateway();

    const both = await Promise.all([ensureGatewayCustomer(stack.orm, gateway, customer.id), ensureGatewayCustomer(stack.orm, gateway, customer.id)]);

    expect(both[0]).toBe(both[1]);
    const stored = await stack.orm.em.fork().findOneOrFail(Customer, { id: customer.id });
    expect(stored.gatewayCustomerId).toBe(both[0]);
  });

  it('never replaces a gateway customer the customer already has', async () => {
    const customer = await createCustomer(stack.orm, { gatewayCustomerId: 'cus_existing' });
    const gateway = idempotentGateway();

    await expect(ensureGatewayCustomer(stack.orm, gateway, customer.id)).resolves.toBe('cus_existing');
    expect(gateway.requests).toEqual([]);
  });

  it('attaches a card entered before its customer existed to that customer’s gateway customer, made then', async () => {
    const customer = await createCustomer(stack.orm);
    const gateway = idempotentGateway();
    const entry = stripeCardEntry({ orm: stack.orm, cards: gateway, publishableKey: 'pk_test_1' });

    await entry.attachCard?.(customer.id, 'pm_1FromCheckout');

    const stored = await stack.orm.em.fork().findOneOrFail(Customer, { id: customer.id });
    expect(stored.gatewayCustomerId).toMatch(/^cus_gw_/);
    expect(gateway.attached).toEqual([['pm_1FromCheckout', stored.gatewayCustomerId]]);
  });
});
