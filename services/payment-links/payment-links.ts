/**
 * Payment links: created and edited by staff through the API, read by the checkout page. A link's
 * prices are fixed once created (a checkout copies what it sells); quantities, bounds, the message
 * after payment, metadata and `active` may change.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { PaymentLink } from '../../db/entities';
import { newId } from '../../db/ids';
import { invalidInput } from '../../domain/rule-violation';
import {
  DEFAULT_FUTURE_START_DAYS,
  resolveAfterCompletion,
  resolveLinkLineItems,
  type AfterCompletionRequest,
  type LineItemRequest,
} from './link-input';

export interface CreatePaymentLinkRequest {
  line_items: LineItemRequest[];
  active?: boolean;
  subscription_data?: { trial_period_days?: number };
  after_completion?: AfterCompletionRequest;
  allow_future_start?: { enabled: boolean; maximum_days?: number };
  metadata?: Record<string, string>;
}

export interface UpdatePaymentLinkRequest {
  active?: boolean;
  line_items?: LineItemRequest[];
  after_completion?: AfterCompletionRequest;
  metadata?: Record<string, string>;
}

/** The public address of a link's checkout page. */
export const paymentLinkPath = (linkId: string): string => `/pay/${linkId}`;

function futureStartDays(body: CreatePaymentLinkRequest['allow_future_start']): number | null {
  if (!body?.enabled) {
    if (body?.maximum_days !== undefined) throw invalidInput('allow_future_start[maximum_days]', 'maximum_days applies only when allow_future_start[enabled] is true.');
    return null;
  }
  return body.maximum_days ?? DEFAULT_FUTURE_START_DAYS;
}

export async function createPaymentLink(em: EntityManager, body: CreatePaymentLinkRequest): Promise<PaymentLink> {
  const { lineItems, currency, mode } = await resolveLinkLineItems(em, body.line_items);
  const trialPeriodDays = body.subscription_data?.trial_period_days ?? null;
  if (trialPeriodDays !== null && mode !== 'subscription') {
    throw invalidInput('subscription_data[trial_period_days]', 'A trial needs at least one recurring price on the link.');
  }
  const maxDays = futureStartDays(body.allow_future_start);
  if (maxDays !== null && mode !== 'subscription') {
    throw invalidInput('allow_future_start[enabled]', 'A future start needs at least one recurring price on the link.');
  }
  const now = new Date();
  const link = em.create(PaymentLink, {
    id: newId('paymentLink'),
    active: body.active ?? true,
    currency,
    mode,
    lineItems,
    trialPeriodDays,
    afterCompletion: resolveAfterCompletion(body.after_completion),
    futureStartMaxDays: maxDays,
    metadata: body.metadata ?? {},
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  return link;
}

/**
 * Applies an update. `line_items` must name the link's prices, each once, in any order: only their
 * quantities and bounds change (a different price is a new link, as at Stripe for subscriptions).
 */
export async function updatePaymentLink(
  em: EntityManager,
  link: PaymentLink,
  body: UpdatePaymentLinkRequest,
  mergeMetadata: (current: Record<string, string>, changes: Record<string, string>) => Record<string, string>,
): Promise<PaymentLink> {
  if (body.line_items !== undefined) {
    const current = new Set(link.lineItems.map((l) => l.priceId));
    body.line_items.forEach((item, i) => {
      if (!current.has(item.price)) throw invalidInput(`line_items[${i}][price]`, `Price ${item.price} is not on payment link ${link.id}; only quantities can change.`);
    });
    if (new Set(body.line_items.map((l) => l.price)).size !== current.size || body.line_items.length !== current.size) {
      throw invalidInput('line_items', `Give every price of payment link ${link.id} once (${[...current].join(', ')}); only quantities can change.`);
    }
    // Re-read from the catalog: a price deactivated since cannot be sold again through an edit.
    const { lineItems } = await resolveLinkLineItems(em, body.line_items);
    const order = link.lineItems.map((l) => l.priceId);
    link.lineItems = [...lineItems].sort((a, b) => order.indexOf(a.priceId) - order.indexOf(b.priceId));
  }
  if (body.active !== undefined) link.active = body.active;
  if (body.after_completion !== undefined) link.afterCompletion = resolveAfterCompletion(body.after_completion);
  if (body.metadata !== undefined) link.metadata = mergeMetadata(link.metadata, body.metadata);
  link.updatedAt = new Date();
  await em.flush();
  return link;
}
