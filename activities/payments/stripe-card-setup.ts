import Stripe from 'stripe';
import { gatewayCustomerKey } from '../../domain/idempotency-keys';
import { CardSetupNotFoundError, type CardSetup, type CardSetupGateway, type CardSetupRequest, type GatewayCustomerRequest } from '../../services/payments/card-setup';
import { GatewayUnavailableError } from './gateway';

/**
 * Saving a card through Stripe: a SetupIntent the browser confirms with Stripe.js (the Payment
 * Element, with 3-D Secure in Stripe's own dialog), read back here before the card is used. Cards
 * only (`payment_method_types`), set up for off-session use: the billing workflows charge them
 * later without the customer present (activities/payments/stripe-gateway.ts).
 */
export class StripeCardSetup implements CardSetupGateway {
  constructor(private readonly stripe: Stripe) {}

  async createCustomer(request: GatewayCustomerRequest): Promise<string> {
    const customer = await this.call('customer create', () =>
      this.stripe.customers.create(
        { email: request.email, name: request.name, metadata: { customer_id: request.customerId } },
        { idempotencyKey: gatewayCustomerKey(request.customerId) },
      ),
    );
    return customer.id;
  }

  async createSetup(request: CardSetupRequest): Promise<{ id: string; clientSecret: string }> {
    // No idempotency key: every opened card form gets a SetupIntent of its own, and a lost answer
    // only leaves an unused one behind (Stripe cancels those itself).
    const intent = await this.call('SetupIntent create', () =>
      this.stripe.setupIntents.create({
        ...(request.gatewayCustomerId === null ? {} : { customer: request.gatewayCustomerId }),
        allowed_payment_method_types: ['card'],
        usage: 'off_session',
        metadata: request.metadata,
      }),
    );
    if (!intent.client_secret) throw new Error(`SetupIntent ${intent.id} came back without a client secret`);
    return { id: intent.id, clientSecret: intent.client_secret };
  }

  async retrieveSetup(setupId: string): Promise<CardSetup> {
    const intent = await this.call('SetupIntent lookup', () => this.stripe.setupIntents.retrieve(setupId), setupId);
    return {
      id: intent.id,
      status: intent.status,
      paymentMethod: idOf(intent.payment_method),
      gatewayCustomerId: idOf(intent.customer),
      metadata: { ...intent.metadata },
    };
  }

  async attachCard(paymentMethod: string, gatewayCustomerId: string): Promise<void> {
    await this.call('card attach', () =>
      this.stripe.paymentMethods.attach(paymentMethod, { customer: gatewayCustomerId }, { idempotencyKey: `attach-${paymentMethod}-${gatewayCustomerId}` }),
    );
  }

  /** Stripe's errors in the port's terms: unknown id, unknown outcome (retry), or a configuration problem. */
  private async call<T>(what: string, request: () => Promise<T>, setupId?: string): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const { errors } = Stripe;
      if (setupId !== undefined && error instanceof errors.StripeInvalidRequestError && error.code === 'resource_missing') {
        throw new CardSetupNotFoundError(`No such SetupIntent: '${setupId}'`, { cause: error });
      }
      if (error instanceof errors.StripeConnectionError || error instanceof errors.StripeRateLimitError || error instanceof errors.StripeAPIError) {
        throw new GatewayUnavailableError(`Stripe is unavailable: ${error.message}`, { cause: error });
      }
      if (error instanceof errors.StripeError) throw new Error(`Stripe rejected the ${what}: ${error.message}`, { cause: error });
      throw error;
    }
  }
}

/** An id field Stripe sends either as the id or, when expanded, as the object. */
function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}
