/**
 * Card entry through Stripe.js. `prepare` makes the SetupIntent the page's Payment Element confirms
 * (attached to the customer's gateway customer, made once: services/payments/gateway-customers.ts);
 * `read` takes the SetupIntent id the page's script posts back, and believes nothing the browser
 * says about it: the card counts only if Stripe, asked by the server, has the SetupIntent
 * `succeeded` with a payment method, made by this system for this customer.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { CardSetupNotFoundError, type CardSetupGateway } from '../../services/payments/card-setup';
import { ensureGatewayCustomer } from '../../services/payments/gateway-customers';
import { GatewayUnavailableError } from '../../activities/payments/gateway';
import type { CardEntry, CardEntrySources } from './card-entry';

export interface StripeCardEntryDeps {
  orm: MikroORM;
  cards: CardSetupGateway;
  /** `pk_...`, sent to the browser for Stripe.js. */
  publishableKey: string;
}

/** What the partial needs to mount the Payment Element. */
export interface StripeCardEntryView {
  mode: 'stripe';
  publishableKey: string;
  /** Lets the browser confirm this one SetupIntent (and nothing else); it is never stored. */
  clientSecret: string;
}

/** What is wrong with the posted card, as a key of the `cardEntry.errors` strings. */
export type StripeCardProblem =
  | 'stripe_incomplete'
  | 'stripe_unknown_setup'
  | 'authentication_required'
  | 'stripe_declined'
  | 'stripe_processing'
  | 'stripe_unavailable';

export type StripeCardResult =
  | { ok: true; paymentMethod: string; gatewayCustomerId: string | null; setupIntentId: string }
  | { ok: false; problem: StripeCardProblem };

/** Marks the SetupIntents this system made, so one made elsewhere on the account is never taken as a card entry. */
const MADE_BY = 'card_entry';

/** Stripe ids are `seti_` and letters and digits; anything else is not worth a call to Stripe. */
const SETUP_INTENT_ID = /^seti_[A-Za-z0-9]{1,64}$/;

export async function prepareStripeCardEntry(deps: StripeCardEntryDeps, customerId: string | null): Promise<StripeCardEntryView> {
  const gatewayCustomerId = customerId === null ? null : await ensureGatewayCustomer(deps.orm, deps.cards, customerId);
  const setup = await deps.cards.createSetup({
    gatewayCustomerId,
    metadata: { made_by: MADE_BY, ...(customerId === null ? {} : { customer_id: customerId }) },
  });
  return { mode: 'stripe', publishableKey: deps.publishableKey, clientSecret: setup.clientSecret };
}

/**
 * The card the customer confirmed in Stripe's Payment Element. `customerId` is the customer the
 * form was prepared for (null for a card entered before a customer exists): a SetupIntent made for
 * another customer is refused, so a posted id can never move someone else's card onto this account.
 * Undefined (a caller that names no customer) checks only that the card entry made the SetupIntent;
 * the result's `gatewayCustomerId` then says whom the card is attached to.
 */
export async function readStripeCardEntry(
  deps: StripeCardEntryDeps,
  setupIntentId: unknown,
  customerId: string | null | undefined,
): Promise<StripeCardResult> {
  if (typeof setupIntentId !== 'string' || !SETUP_INTENT_ID.test(setupIntentId)) return { ok: false, problem: 'stripe_incomplete' };
  let setup;
  try {
    setup = await deps.cards.retrieveSetup(setupIntentId);
  } catch (error) {
    if (error instanceof CardSetupNotFoundError) return { ok: false, problem: 'stripe_unknown_setup' };
    if (error instanceof GatewayUnavailableError) return { ok: false, problem: 'stripe_unavailable' };
    throw error;
  }
  switch (setup.status) {
    case 'succeeded':
      break;
    case 'requires_action':
      // 3-D Secure started but not finished (the dialog closed, or the bank's page left).
      return { ok: false, problem: 'authentication_required' };
    case 'processing':
      return { ok: false, problem: 'stripe_processing' };
    case 'requires_confirmation':
      return { ok: false, problem: 'stripe_incomplete' };
    default:
      // requires_payment_method after a failed attempt (declined, authentication failed), or canceled.
      return { ok: false, problem: 'stripe_declined' };
  }
  if (setup.metadata.made_by !== MADE_BY || (customerId !== undefined && (setup.metadata.customer_id ?? null) !== customerId)) {
    return { ok: false, problem: 'stripe_unknown_setup' };
  }
  if (setup.paymentMethod === null) return { ok: false, problem: 'stripe_incomplete' };
  return { ok: true, paymentMethod: setup.paymentMethod, gatewayCustomerId: setup.gatewayCustomerId, setupIntentId: setup.id };
}

/**
 * A card entered before its customer existed (a first checkout) is attached to the customer once it
 * is created, so the workflows can charge it off-session; the gateway customer is created then too.
 */
export async function attachStripeCard(deps: StripeCardEntryDeps, customerId: string, paymentMethod: string): Promise<void> {
  const gatewayCustomerId = await ensureGatewayCustomer(deps.orm, deps.cards, customerId);
  await deps.cards.attachCard(paymentMethod, gatewayCustomerId);
}

/**
 * Where Stripe.js loads from and talks to (Stripe's CSP guide for Stripe.js and Elements): the
 * script, its iframes (the Payment Element, the 3-D Secure dialog: hooks.stripe.com), its API, and
 * card brand images.
 */
export const STRIPE_JS_SOURCES: CardEntrySources = {
  script: ['https://js.stripe.com', 'https://*.js.stripe.com'],
  frame: ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
  connect: ['https://api.stripe.com'],
  img: ['https://*.stripe.com'],
};

/** Each problem's string in `cardEntry` (web/i18n/en.ts). */
const PROBLEM_STRINGS: Record<StripeCardProblem, string> = {
  stripe_incomplete: 'cardEntry.stripeIncomplete',
  stripe_unknown_setup: 'cardEntry.stripeUnknownSetup',
  authentication_required: 'cardEntry.stripeAuthenticationRequired',
  stripe_declined: 'cardEntry.stripeDeclined',
  stripe_processing: 'cardEntry.stripeProcessing',
  stripe_unavailable: 'cardEntry.stripeUnavailable',
};

/** Card entry through Stripe.js; its one field is the Payment Element (`card`, errors shown beside it). */
export function stripeCardEntry(deps: StripeCardEntryDeps): CardEntry {
  return {
    mode: 'stripe',
    contentSecurityPolicy: STRIPE_JS_SOURCES,
    prepare: (context = {}) => prepareStripeCardEntry(deps, context.customerId ?? null),
    async read(body, t, context = {}) {
      const result = await readStripeCardEntry(deps, body.setup_intent, context.customerId);
      if (!result.ok) return { ok: false, errors: { card: t(PROBLEM_STRINGS[result.problem]) } };
      return { ok: true, paymentMethod: result.paymentMethod, gatewayCustomerId: result.gatewayCustomerId };
    },
    attachCard: (customerId, paymentMethod) => attachStripeCard(deps, customerId, paymentMethod),
  };
}
