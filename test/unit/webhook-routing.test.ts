import { planStripeEvent, type StripeEventEnvelope } from '../../services/webhooks/webhook-routing';

const CREATED = 1_795_000_000; // 2026-11-18T11:06:40Z, in Unix seconds as Stripe sends it

function event(type: string, object: Record<string, unknown>): StripeEventEnvelope {
  return { id: 'evt_unit_1', type, created: CREATED, api_version: '2026-10-28.endive', livemode: false, data: { object } };
}

const occurredAt = new Date(CREATED * 1000).toISOString();

describe('planStripeEvent', () => {
  test('payment_intent.succeeded: the amount received, the PaymentIntent as charge id, the invoice from metadata', () => {
    const plan = planStripeEvent(
      event('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent', amount: 2500, amount_received: 2500, metadata: { invoice_id: 'in_1' } }),
    );
    expect(plan).toEqual({
      action: 'route',
      paymentEvent: { eventId: 'evt_unit_1', type: 'payment_succeeded', occurredAt, gatewayChargeId: 'pi_1', amount: 2500, failureCode: null },
      metadataInvoiceId: 'in_1',
      gatewayIds: ['pi_1'],
    });
  });

  test('payment_intent.payment_failed: the decline code first, then the error code, then a generic one', () => {
    const failed = (lastError: unknown) =>
      planStripeEvent(event('payment_intent.payment_failed', { id: 'pi_2', amount: 900, last_payment_error: lastError, metadata: {} }));
    const codeOf = (plan: ReturnType<typeof planStripeEvent>) => (plan.action === 'route' ? plan.paymentEvent.failureCode : plan.action);

    expect(codeOf(failed({ code: 'card_declined', decline_code: 'insufficient_funds' }))).toBe('insufficient_funds');
    expect(codeOf(failed({ code: 'expired_card', decline_code: '' }))).toBe('expired_card');
    expect(codeOf(failed(null))).toBe('payment_failed');
    const plan = failed({ code: 'card_declined' });
    expect(plan).toMatchObject({ action: 'route', paymentEvent: { type: 'payment_failed', amount: 900, gatewayChargeId: 'pi_2' }, metadataInvoiceId: null });
  });

  test('charge.refunded: the running refunded total, found through the PaymentIntent (expanded or not) then the charge', () => {
    expect(planStripeEvent(event('charge.refunded', { id: 'ch_1', payment_intent: 'pi_3', amount: 5000, amount_refunded: 1500 }))).toMatchObject({
      action: 'route',
      paymentEvent: { type: 'refunded', gatewayChargeId: 'pi_3', amount: 1500, failureCode: null },
      gatewayIds: ['pi_3', 'ch_1'],
    });
    expect(planStripeEvent(event('charge.refunded', { id: 'ch_2', payment_intent: { id: 'pi_4' }, amount_refunded: 10 }))).toMatchObject({
      paymentEvent: { gatewayChargeId: 'pi_4' },
      gatewayIds: ['pi_4', 'ch_2'],
    });
    // A charge made without a PaymentIntent (the sandbox's ch_ ids) is looked up by itself.
    expect(planStripeEvent(event('charge.refunded', { id: 'ch_3', payment_intent: null, amount_refunded: 10 }))).toMatchObject({
      paymentEvent: { gatewayChargeId: 'ch_3' },
      gatewayIds: ['ch_3'],
    });
  });

  test('charge.dispute.created: the disputed amount and the reason', () => {
    expect(
      planStripeEvent(event('charge.dispute.created', { id: 'dp_1', charge: 'ch_5', payment_intent: 'pi_5', amount: 700, reason: 'fraudulent', metadata: {} })),
    ).toMatchObject({
      action: 'route',
      paymentEvent: { type: 'dispute_opened', gatewayChargeId: 'pi_5', amount: 700, failureCode: 'fraudulent' },
      metadataInvoiceId: null,
      gatewayIds: ['pi_5', 'ch_5'],
    });
  });

  test('amounts that are not integer minor units are not passed on', () => {
    const plan = planStripeEvent(event('payment_intent.succeeded', { id: 'pi_6', amount: 12.5, amount_received: '1250' }));
    expect(plan).toMatchObject({ paymentEvent: { amount: null } });
  });

  test('a routed type without the ids routing needs fails, with the missing field named', () => {
    expect(planStripeEvent(event('payment_intent.succeeded', { amount: 100 }))).toEqual({
      action: 'fail',
      reason: 'The payment_intent.succeeded payload has no data.object.id.',
    });
    expect(planStripeEvent(event('charge.dispute.created', { id: 'dp_2' }))).toMatchObject({ action: 'fail' });
  });

  test('charge.succeeded and charge.failed repeat the PaymentIntent events and are ignored; unknown types are ignored', () => {
    expect(planStripeEvent(event('charge.succeeded', { id: 'ch_7', payment_intent: 'pi_7' }))).toEqual({
      action: 'ignore',
      reason: 'charge.succeeded repeats the payment_intent.* event for the same payment, which is the one routed.',
    });
    expect(planStripeEvent(event('customer.created', { id: 'cus_1' }))).toEqual({
      action: 'ignore',
      reason: 'customer.created is not an event type the billing workflows act on.',
    });
  });

  test('setup_intent.* events are ignored: the card form reads its SetupIntent itself when it comes back', () => {
    for (const type of ['setup_intent.succeeded', 'setup_intent.setup_failed']) {
      expect(planStripeEvent(event(type, { id: 'seti_1', status: 'succeeded', payment_method: 'pm_1' }))).toEqual({
        action: 'ignore',
        reason: `${type}: the card form that started this SetupIntent reads it from Stripe when the customer submits it; nothing waits on this event.`,
      });
    }
  });
});
