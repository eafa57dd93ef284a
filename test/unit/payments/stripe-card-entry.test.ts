import type { MikroORM } from '@mikro-orm/postgresql';
import { GatewayUnavailableError } from '../../../activities/payments/gateway';
import { CardSetupNotFoundError, type CardSetup, type CardSetupGateway } from '../../../services/payments/card-setup';
import { prepareStripeCardEntry, readStripeCardEntry, type StripeCardEntryDeps } from '../../../web/payments/stripe-card-entry';

/** The port with one scripted SetupIntent; records what the card entry asked for. */
function gatewayAnswering(setup: Partial<CardSetup> | Error): CardSetupGateway & { created: unknown[]; retrieved: string[] } {
  const created: unknown[] = [];
  const retrieved: string[] = [];
  return {
    created,
    retrieved,
    createCustomer: async () => 'cus_gateway',
    createSetup: async (request) => {
      created.push(request);
      return { id: 'seti_1New', clientSecret: 'seti_1New_secret_abc' };
    },
    retrieveSetup: async (id) => {
      retrieved.push(id);
      if (setup instanceof Error) throw setup;
      return { id, status: 'succeeded', paymentMethod: 'pm_1Saved', gatewayCustomerId: 'cus_gateway', metadata: { made_by: 'card_entry', customer_id: 'cus_ours' }, ...setup };
    },
    attachCard: async () => undefined,
  };
}

const deps = (cards: CardSetupGateway): StripeCardEntryDeps => ({ orm: {} as MikroORM, cards, publishableKey: 'pk_test_123' });

describe('Stripe card entry: reading the SetupIntent back', () => {
  it('takes the card of a succeeded SetupIntent made for this customer', async () => {
    const cards = gatewayAnswering({});
    await expect(readStripeCardEntry(deps(cards), 'seti_1Done', 'cus_ours')).resolves.toEqual({
      ok: true,
      paymentMethod: 'pm_1Saved',
      gatewayCustomerId: 'cus_gateway',
      setupIntentId: 'seti_1Done',
    });
    expect(cards.retrieved).toEqual(['seti_1Done']);
  });

  it.each([
    ['requires_action', 'authentication_required'],
    ['requires_payment_method', 'stripe_declined'],
    ['canceled', 'stripe_declined'],
    ['processing', 'stripe_processing'],
    ['requires_confirmation', 'stripe_incomplete'],
  ])('refuses a SetupIntent that is %s (%s), whatever the browser reported', async (status, problem) => {
    await expect(readStripeCardEntry(deps(gatewayAnswering({ status })), 'seti_1Open', 'cus_ours')).resolves.toEqual({ ok: false, problem });
  });

  it('refuses a SetupIntent made for another customer, or not by the card entry', async () => {
    const other = gatewayAnswering({ metadata: { made_by: 'card_entry', customer_id: 'cus_other' } });
    await expect(readStripeCardEntry(deps(other), 'seti_1Theirs', 'cus_ours')).resolves.toEqual({ ok: false, problem: 'stripe_unknown_setup' });
    const elsewhere = gatewayAnswering({ metadata: {} });
    await expect(readStripeCardEntry(deps(elsewhere), 'seti_1Elsewhere', 'cus_ours')).resolves.toEqual({ ok: false, problem: 'stripe_unknown_setup' });
    const forCheckout = gatewayAnswering({ metadata: { made_by: 'card_entry' }, gatewayCustomerId: null });
    await expect(readStripeCardEntry(deps(forCheckout), 'seti_1Checkout', null)).resolves.toMatchObject({ ok: true, gatewayCustomerId: null });
    await expect(readStripeCardEntry(deps(forCheckout), 'seti_1Checkout', 'cus_ours')).resolves.toEqual({ ok: false, problem: 'stripe_unknown_setup' });
    // A caller naming no customer: only the card entry's own SetupIntents, whoever they were for.
    await expect(readStripeCardEntry(deps(other), 'seti_1Theirs', undefined)).resolves.toMatchObject({ ok: true, paymentMethod: 'pm_1Saved' });
    await expect(readStripeCardEntry(deps(elsewhere), 'seti_1Elsewhere', undefined)).resolves.toEqual({ ok: false, problem: 'stripe_unknown_setup' });
  });

  it.each([undefined, '', 'pi_123', 'seti_1<script>', ['seti_1A'], 'seti_' + 'a'.repeat(65)])('does not ask Stripe about %j', async (posted) => {
    const cards = gatewayAnswering({});
    await expect(readStripeCardEntry(deps(cards), posted, 'cus_ours')).resolves.toEqual({ ok: false, problem: 'stripe_incomplete' });
    expect(cards.retrieved).toEqual([]);
  });

  it('answers an unknown id and an unreachable Stripe with a problem to show, not an error', async () => {
    await expect(readStripeCardEntry(deps(gatewayAnswering(new CardSetupNotFoundError('gone'))), 'seti_1Gone', null)).resolves.toEqual({
      ok: false,
      problem: 'stripe_unknown_setup',
    });
    await expect(readStripeCardEntry(deps(gatewayAnswering(new GatewayUnavailableError('down'))), 'seti_1Down', null)).resolves.toEqual({
      ok: false,
      problem: 'stripe_unavailable',
    });
  });
});

describe('Stripe card entry: preparing the form', () => {
  it('makes a SetupIntent without a gateway customer when none exists yet, marked as the card entry’s', async () => {
    const cards = gatewayAnswering({});
    await expect(prepareStripeCardEntry(deps(cards), null)).resolves.toEqual({ mode: 'stripe', publishableKey: 'pk_test_123', clientSecret: 'seti_1New_secret_abc' });
    expect(cards.created).toEqual([{ gatewayCustomerId: null, metadata: { made_by: 'card_entry' } }]);
  });
});
