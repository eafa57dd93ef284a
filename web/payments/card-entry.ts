/**
 * Card entry on every page that takes a card (checkout, hosted invoice, portal, registration): the
 * view data for `partials/card-entry.eta` and reading what the customer sent back into a payment
 * method token the gateway charges (`pm_...`).
 *
 * Without Stripe keys the sandbox gateway charges: the form takes Stripe's test card numbers and turns
 * each into the sandbox token that behaves as that card does at Stripe (README "Sandbox test payment
 * methods"), with a simulated 3-D Secure step for Stripe's authentication test cards. A real card
 * number never reaches this server in sandbox mode's place: it is refused. With Stripe keys the card
 * is entered in Stripe's Payment Element and only a SetupIntent id comes back (stripe-card-entry.ts).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Translate } from '../i18n';
import { createStripeClient } from '../../activities/payments/stripe-gateway';
import { StripeCardSetup } from '../../activities/payments/stripe-card-setup';
import { STRIPE_TEST_CARDS, readSandboxCard, type CardFieldProblem } from './card-details';
import { stripeCardEntry, type StripeCardEntryView } from './stripe-card-entry';

/** Stripe's test card numbers and the sandbox token that declines or succeeds as each does. */
export const SANDBOX_TEST_CARDS: Readonly<Record<string, string>> = Object.fromEntries(
  [...STRIPE_TEST_CARDS].map(([digits, card]) => [digits, card.paymentMethod]),
);

export type CardEntryView =
  | {
      mode: 'sandbox';
      /** The test card numbers (digits, space-separated) whose entry opens the simulated 3-D Secure dialog. */
      threeDSecureCards: string;
    }
  | StripeCardEntryView;

export type CardEntryResult =
  | {
      ok: true;
      paymentMethod: string;
      /**
       * The gateway customer the card is attached to (Stripe `cus_...`), or null when it is attached
       * to none yet (sandbox, or a Stripe card entered before its customer existed: `attachCard`).
       */
      gatewayCustomerId: string | null;
    }
  | { ok: false; errors: Record<string, string> };

/** Who the card is for: the customer, or null when the page creates the customer with the card (a first checkout). */
export interface CardEntryContext {
  customerId?: string | null;
}

/** Origins a card entry's pages load from, added to the pages' Content-Security-Policy (web/pages.ts). */
export interface CardEntrySources {
  script: readonly string[];
  frame: readonly string[];
  connect: readonly string[];
  img: readonly string[];
}

export interface CardEntry {
  readonly mode: 'sandbox' | 'stripe';
  /** What the partial needs to show the card fields. Pass the customer the card is for when there is one. */
  prepare(context?: CardEntryContext): Promise<CardEntryView>;
  /**
   * The token for the card the form carried, or each bad field with the message to show beside it.
   * Pass the same context as to `prepare`: with Stripe, a card set up for another customer is then
   * refused (without a context only the SetupIntent's origin is checked).
   */
  read(body: Record<string, unknown>, t: Translate, context?: CardEntryContext): Promise<CardEntryResult>;
  /**
   * After `read` without a customer (the page then creates one): makes the card chargeable
   * off-session for that customer. With Stripe the card is attached to the customer's gateway
   * customer (created then, and kept in `gateway_customer_id`); the sandbox has nothing to do.
   */
  attachCard?(customerId: string, paymentMethod: string): Promise<void>;
  /** Origins the pages must allow for this card entry (none for the sandbox). */
  readonly contentSecurityPolicy?: CardEntrySources;
}

const field = (body: Record<string, unknown>, name: string): string => (typeof body[name] === 'string' ? (body[name] as string) : '');

/** Each problem's string in `cardEntry` (web/i18n/en.ts). */
const PROBLEM_STRINGS: Record<CardFieldProblem, string> = {
  number_required: 'cardEntry.numberMissing',
  number_characters: 'cardEntry.numberCharacters',
  number_length: 'cardEntry.numberInvalid',
  number_luhn: 'cardEntry.numberLuhn',
  number_not_test_card: 'cardEntry.numberNotTestCard',
  expiry_required: 'cardEntry.expiryMissing',
  expiry_format: 'cardEntry.expiryInvalid',
  expiry_past: 'cardEntry.expiryPast',
  cvc_required: 'cardEntry.cvcInvalid',
  cvc_format: 'cardEntry.cvcInvalid',
  authentication_required: 'cardEntry.authenticationRequired',
  authentication_failed: 'cardEntry.authenticationFailed',
};

const THREE_D_SECURE_CARDS = [...STRIPE_TEST_CARDS].filter(([, card]) => card.threeDSecure).map(([digits]) => digits).join(' ');

/** Card entry against the sandbox gateway; `now` decides which expiry dates are past. */
export function sandboxCardEntry(now: () => Date = () => new Date()): CardEntry {
  return {
    mode: 'sandbox',
    async prepare() {
      return { mode: 'sandbox', threeDSecureCards: THREE_D_SECURE_CARDS };
    },
    async read(body, t) {
      const result = readSandboxCard(
        { number: field(body, 'card_number'), expiry: field(body, 'card_expiry'), cvc: field(body, 'card_cvc'), threeDSecure: field(body, 'card_three_d_secure') },
        now(),
      );
      if (result.ok) return { ok: true, paymentMethod: result.paymentMethod, gatewayCustomerId: null };
      const errors: Record<string, string> = {};
      for (const [name, problem] of Object.entries(result.problems)) errors[`card_${name}`] = t(PROBLEM_STRINGS[problem]);
      return { ok: false, errors };
    },
    async attachCard() {
      // Sandbox tokens belong to no gateway customer: the charge names the token alone.
    },
  };
}

export interface CardEntrySettings {
  orm: MikroORM;
  /** STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_API_BASE (config.ts). */
  stripeSecretKey?: string;
  stripePublishableKey?: string;
  stripeApiBase?: string;
}

/** Stripe.js when both Stripe keys are set, the sandbox card form otherwise. */
export function cardEntryFor(settings: CardEntrySettings): CardEntry {
  const { orm, stripeSecretKey, stripePublishableKey, stripeApiBase } = settings;
  if (!stripeSecretKey || !stripePublishableKey) return sandboxCardEntry();
  const cards = new StripeCardSetup(createStripeClient({ secretKey: stripeSecretKey, apiBase: stripeApiBase, timeoutMs: 10_000 }));
  return stripeCardEntry({ orm, cards, publishableKey: stripePublishableKey });
}
