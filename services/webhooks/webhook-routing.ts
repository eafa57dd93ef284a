/**
 * Stripe webhook events: stored once per event id, then routed as `paymentEventSignal` to the
 * collection workflow of the invoice they concern (`invoice-<invoiceId>`).
 *
 * Delivery is at least once on both sides: Stripe redelivers until it gets a 2xx, and an event whose
 * signal did not go out (Temporal unreachable) stays `received` so the redelivery routes it. Routing
 * runs under a row lock, so concurrent deliveries of one event signal at most once between them; a
 * crash between the signal and the commit can repeat a signal, which the workflow absorbs because
 * it applies each `eventId` once.
 *
 * Refunds made at Stripe (the Dashboard, Stripe's own tools) have no refund workflow here: their
 * `refund.created` / `refund.updated` events are recorded directly as refund rows, keyed by Stripe's
 * refund id, in the same transaction as the event row. Our own refunds carry `metadata.refund_id`
 * and are left to their refund workflow.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Invoice, Payment, Refund, WebhookEvent, newWebhookEventId, type RefundReason, type WebhookEventStatus } from '../../db/entities';
import { newId } from '../../db/ids';
import { stripeRefundStatus } from './stripe-refund-status';
import { invoiceCollectionWorkflowId, paymentEventSignal, type PaymentEvent } from '../../workflows/invoice-collection/contract';

/** The part of a Stripe event routing reads. The payload is whatever API version the endpoint is set to, so nothing deeper is trusted. */
export interface StripeEventEnvelope {
  id: string;
  type: string;
  created: number;
  api_version: string | null;
  livemode: boolean;
  data: { object: Record<string, unknown> };
}

/** A refund as Stripe reports it, for refunds made outside this system. */
export interface GatewayRefundReport {
  gatewayRefundId: string;
  /** Where to find the payment: our attempts store the PaymentIntent id, older charges the charge id. */
  gatewayIds: string[];
  amount: number;
  status: 'pending' | 'succeeded' | 'failed';
  reason: RefundReason | null;
}

export type RoutingPlan =
  | { action: 'ignore'; reason: string }
  | { action: 'fail'; reason: string }
  | { action: 'record_refund'; refund: GatewayRefundReport }
  | {
      action: 'route';
      paymentEvent: PaymentEvent;
      /** `metadata.invoice_id` as our gateway adapter sets it on PaymentIntents (and Stripe copies to their charges). */
      metadataInvoiceId: string | null;
      /** Ids a payment attempt may hold as `gateway_charge_id`: the PaymentIntent's first, then the charge's. */
      gatewayIds: string[];
    };

/**
 * The event types we act on. The payment's outcome comes from `payment_intent.*`; Stripe also sends
 * `charge.succeeded` / `charge.failed` for the same payment, which would tell the workflow the same
 * thing twice under another event id, so those are kept as `ignored`.
 */
export const ROUTED_EVENT_TYPES = ['payment_intent.succeeded', 'payment_intent.payment_failed', 'charge.refunded', 'charge.dispute.created'] as const;

/** Refund events, recorded as refund rows when the refund was made at Stripe. */
export const REFUND_EVENT_TYPES = ['refund.created', 'refund.updated', 'charge.refund.updated'] as const;

const REFUND_REASONS = new Set<string>(['duplicate', 'fraudulent', 'requested_by_customer']);


const SAME_OUTCOME_AS_PAYMENT_INTENT = new Set(['charge.succeeded', 'charge.failed']);

/**
 * Card setups (Stripe.js card entry, web/payments/). The page reads its SetupIntent from Stripe when
 * the customer's form comes back (submitted, or back from the bank's page), and only that form knows
 * what the card is for (a portal update, a checkout); nothing is waiting on these events, so they are
 * kept as `ignored`. A card whose form never came back stays attached at Stripe, unused.
 */
const CARD_SETUP_EVENTS = new Set(['setup_intent.succeeded', 'setup_intent.setup_failed', 'setup_intent.requires_action', 'setup_intent.canceled']);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const minorUnits = (value: unknown): number | null => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null);
/** An id field Stripe sends either as the id or, when expanded, as the object. */
const idOf = (value: unknown): string | null => text(value) ?? (isObject(value) ? text(value.id) : null);
const metadataInvoiceId = (object: Json): string | null => (isObject(object.metadata) ? text(object.metadata.invoice_id) : null);

/** What to do with an event, from its payload alone (no I/O). */
export function planStripeEvent(event: StripeEventEnvelope): RoutingPlan {
  const object = isObject(event.data?.object) ? event.data.object : {};
  const base = { eventId: event.id, occurredAt: new Date(event.created * 1000).toISOString() };
  const missing = (field: string): RoutingPlan => ({ action: 'fail', reason: `The ${event.type} payload has no ${field}.` });

  switch (event.type) {
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed': {
      const intentId = text(object.id);
      if (!intentId) return missing('data.object.id');
      const succeeded = event.type === 'payment_intent.succeeded';
      const lastError = isObject(object.last_payment_error) ? object.last_payment_error : {};
      return {
        action: 'route',
        paymentEvent: {
          ...base,
          type: succeeded ? 'payment_succeeded' : 'payment_failed',
          // Our payment rows store the PaymentIntent id as the charge id (activities/payments/stripe-gateway.ts).
          gatewayChargeId: intentId,
          amount: succeeded ? (minorUnits(object.amount_received) ?? minorUnits(object.amount)) : minorUnits(object.amount),
          failureCode: succeeded ? null : (text(lastError.decline_code) ?? text(lastError.code) ?? 'payment_failed'),
        },
        metadataInvoiceId: metadataInvoiceId(object),
        gatewayIds: [intentId],
      };
    }
    case 'charge.refunded': {
      const chargeId = text(object.id);
      if (!chargeId) return missing('data.object.id');
      const intentId = idOf(object.payment_intent);
      return {
        action: 'route',
        paymentEvent: {
          ...base,
          type: 'refunded',
          gatewayChargeId: intentId ?? chargeId,
          // Stripe's running total for the charge, not this refund's amount: a late or repeated
          // event then carries a total the workflow can compare, never an amount to add twice.
          amount: minorUnits(object.amount_refunded),
          failureCode: null,
        },
        metadataInvoiceId: metadataInvoiceId(object),
        gatewayIds: intentId ? [intentId, chargeId] : [chargeId],
      };
    }
    case 'charge.dispute.created': {
      const chargeId = idOf(object.charge);
      const intentId = idOf(object.payment_intent);
      if (!chargeId && !intentId) return missing('data.object.charge or data.object.payment_intent');
      return {
        action: 'route',
        paymentEvent: {
          ...base,
          type: 'dispute_opened',
          gatewayChargeId: intentId ?? chargeId,
          amount: minorUnits(object.amount),
          // The dispute reason (fraudulent, product_not_received, ...), for the notice.
          failureCode: text(object.reason),
        },
        // A dispute's own metadata is empty unless someone set it; the lookup goes through the payment.
        metadataInvoiceId: metadataInvoiceId(object),
        gatewayIds: [intentId, chargeId].filter((id): id is string => id !== null),
      };
    }
    case 'refund.created':
    case 'refund.updated':
    case 'charge.refund.updated': {
      const refundId = text(object.id);
      if (!refundId) return missing('data.object.id');
      if (isObject(object.metadata) && text(object.metadata.refund_id)) {
        return { action: 'ignore', reason: `Refund ${text(object.metadata.refund_id)} was made here; its refund workflow records it.` };
      }
      const amount = minorUnits(object.amount);
      if (amount === null || amount === 0) return missing('data.object.amount');
      const status = stripeRefundStatus(text(object.status));
      if (!status) return missing('a known data.object.status');
      const gatewayIds = [idOf(object.payment_intent), idOf(object.charge)].filter((id): id is string => id !== null);
      if (gatewayIds.length === 0) return missing('data.object.payment_intent or data.object.charge');
      const reason = text(object.reason);
      return {
        action: 'record_refund',
        refund: { gatewayRefundId: refundId, gatewayIds, amount, status, reason: reason && REFUND_REASONS.has(reason) ? (reason as RefundReason) : null },
      };
    }
    default:
      return {
        action: 'ignore',
        reason: SAME_OUTCOME_AS_PAYMENT_INTENT.has(event.type)
          ? `${event.type} repeats the payment_intent.* event for the same payment, which is the one routed.`
          : CARD_SETUP_EVENTS.has(event.type)
            ? `${event.type}: the card form that started this SetupIntent reads it from Stripe when the customer submits it; nothing waits on this event.`
            : `${event.type} is not an event type the billing workflows act on.`,
      };
  }
}

/** Temporal did not take the signal (unreachable, deadline): the event stays `received` for the redelivery. */
export class TemporalUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemporalUnavailableError';
  }
}

export interface StoredEvent {
  id: string;
  /** False when a row for this event id already existed (a redelivery, or a concurrent delivery). */
  inserted: boolean;
}

/** `processed: false`: the row's status did not allow routing (a duplicate delivery, a retry of a routed event). */
export interface RoutingResult {
  row: WebhookEvent;
  processed: boolean;
}

/**
 * Who may route an event: a delivery only one not routed yet; an operator's retry also one that was
 * unroutable or failed (the invoice or workflow may exist now, or the payload reading was fixed).
 */
const ROUTABLE_FROM: Record<'delivery' | 'retry', readonly WebhookEventStatus[]> = {
  delivery: ['received'],
  retry: ['received', 'unroutable', 'failed'],
};

/** A JSON copy PostgreSQL's jsonb accepts: it rejects U+0000 in strings, which JSON text may carry escaped. */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD');
  if (Array.isArray(value)) return value.map(storable);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replaceAll('\u0000', '\uFFFD'), storable(v)]));
  return value;
}

export interface WebhookRouterDeps {
  orm: MikroORM;
  temporal: Client;
  /** How long one signal may take before the event is left for the redelivery. */
  signalTimeoutMs: number;
}

/** Stateless: any number of API processes route the same table safely (the row lock orders them). */
export class StripeWebhookRouter {
  constructor(private readonly deps: WebhookRouterDeps) {}

  /** Inserts the event unless its id is stored already; either way returns the row's id. */
  async store(event: StripeEventEnvelope): Promise<StoredEvent> {
    const em = this.deps.orm.em.fork();
    const inserted = await em.execute<{ id: string }[]>(
      `insert into webhook_events (id, event_id, type, api_version, gateway_created_at, livemode, payload, status, attempts)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, 'received', 0)
       on conflict (event_id) do nothing returning id`,
      [newWebhookEventId(), event.id, event.type, event.api_version, new Date(event.created * 1000), event.livemode, JSON.stringify(storable(event))],
    );
    if (inserted[0]) return { id: inserted[0].id, inserted: true };
    const [existing] = await em.execute<{ id: string }[]>(`select id from webhook_events where event_id = ?`, [event.id]);
    if (!existing) throw new Error(`webhook event ${event.id} neither inserted nor found`);
    return { id: existing.id, inserted: false };
  }

  /**
   * Routes the stored event `id` if its status allows it (see ROUTABLE_FROM), and records the outcome.
   * Throws TemporalUnavailableError after recording the failed attempt (the row stays `received`).
   * Returns null when no such row exists.
   */
  async route(id: string, by: 'delivery' | 'retry'): Promise<RoutingResult | null> {
    let unavailable: TemporalUnavailableError | undefined;
    const result = await this.deps.orm.em.fork().transactional(async (em) => {
      const row = await em.findOne(WebhookEvent, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) return null;
      if (!ROUTABLE_FROM[by].includes(row.status)) return { row, processed: false };
      row.attempts += 1;
      try {
        await this.apply(em, row);
      } catch (err) {
        if (!(err instanceof TemporalUnavailableError)) throw err;
        // Committed with the row, so operators see why the event is still waiting.
        row.status = 'received';
        row.routedTo = null;
        row.error = err.message;
        row.processedAt = null;
        unavailable = err;
      }
      return { row, processed: true };
    });
    if (unavailable) throw unavailable;
    return result;
  }

  private async apply(em: EntityManager, row: WebhookEvent): Promise<void> {
    const finish = (status: WebhookEventStatus, error: string | null, routedTo: string | null = null) => {
      row.status = status;
      row.error = error;
      row.routedTo = routedTo;
      row.processedAt = new Date();
    };

    const plan = planStripeEvent(row.payload as unknown as StripeEventEnvelope);
    if (plan.action === 'ignore') return finish('ignored', plan.reason);
    if (plan.action === 'fail') return finish('failed', plan.reason);
    if (plan.action === 'record_refund') {
      const recorded = await recordGatewayRefund(em, plan.refund);
      if (!recorded) return finish('unroutable', `No payment has gateway_charge_id ${plan.refund.gatewayIds.map((g) => `'${g}'`).join(' or ')}.`);
      row.invoiceId = recorded.invoiceId;
      return finish('routed', null, `refund ${recorded.refundId}`);
    }

    const invoice = await this.findInvoice(em, plan.metadataInvoiceId, plan.gatewayIds);
    if (!invoice) {
      const fromMetadata = plan.metadataInvoiceId ? `metadata.invoice_id '${plan.metadataInvoiceId}' is no invoice here` : 'no metadata.invoice_id';
      const fromPayments = plan.gatewayIds.length ? `no payment has gateway_charge_id ${plan.gatewayIds.map((g) => `'${g}'`).join(' or ')}` : 'no gateway id to look up';
      return finish('unroutable', `No invoice found: ${fromMetadata}, and ${fromPayments}.`);
    }
    row.invoiceId = invoice.id;

    const workflowId = invoiceCollectionWorkflowId(invoice.id);
    const { temporal, signalTimeoutMs } = this.deps;
    try {
      await temporal.withDeadline(Date.now() + signalTimeoutMs, () => temporal.workflow.getHandle(workflowId).signal(paymentEventSignal, plan.paymentEvent));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        return finish('unroutable', `Workflow ${workflowId} is not running (the invoice is ${invoice.status}), so nothing is collecting this invoice.`);
      }
      // Anything else is Temporal not answering; the signal is safe to send again later.
      throw new TemporalUnavailableError(`Temporal did not take the signal to ${workflowId}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    finish('routed', null, workflowId);
  }

  private async findInvoice(em: EntityManager, metadataInvoiceId: string | null, gatewayIds: string[]): Promise<Pick<Invoice, 'id' | 'status'> | null> {
    if (metadataInvoiceId) {
      const invoice = await em.findOne(Invoice, { id: metadataInvoiceId }, { fields: ['id', 'status'] });
      if (invoice) return invoice;
    }
    if (gatewayIds.length === 0) return null;
    const payment = await em.findOne(Payment, { gatewayChargeId: { $in: gatewayIds } }, { fields: ['invoiceId'], orderBy: { createdAt: 'desc' } });
    if (!payment) return null;
    return em.findOne(Invoice, { id: payment.invoiceId }, { fields: ['id', 'status'] });
  }
}

/**
 * Records a refund made at Stripe on the payment it returns money from: created once per Stripe
 * refund id, moved forward only (pending → succeeded | failed; never back, whatever order the events
 * come in), and added to `amount_refunded` on the payment and its invoice once, when it succeeds.
 * Runs in the event row's transaction with the payment row locked, like the API's own refunds.
 */
async function recordGatewayRefund(em: EntityManager, report: GatewayRefundReport): Promise<{ refundId: string; invoiceId: string } | null> {
  const payment = await em.findOne(Payment, { gatewayChargeId: { $in: report.gatewayIds } }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!payment) return null;
  let refund = await em.findOne(Refund, { gatewayRefundId: report.gatewayRefundId });
  const wasSucceeded = refund?.status === 'succeeded';
  const now = new Date();
  if (!refund) {
    refund = em.create(Refund, {
      id: newId('refund'),
      paymentId: payment.id,
      invoiceId: payment.invoiceId,
      customerId: payment.customerId,
      amount: report.amount,
      currency: payment.currency,
      reason: report.reason,
      status: report.status,
      gateway: payment.gateway,
      gatewayRefundId: report.gatewayRefundId,
      idempotencyKey: `gateway-refund-${report.gatewayRefundId}`,
      failureReason: report.status === 'failed' ? 'reported failed or canceled by the gateway' : null,
      note: 'Made at the gateway, recorded from its webhook.',
      createdAt: now,
      completedAt: report.status === 'pending' ? null : now,
    });
  } else if (refund.status === 'pending' && report.status !== 'pending') {
    refund.status = report.status;
    refund.completedAt = now;
    if (report.status === 'failed') refund.failureReason = 'reported failed or canceled by the gateway';
  }
  if (!wasSucceeded && refund.status === 'succeeded') {
    payment.amountRefunded += refund.amount;
    const invoice = await em.findOneOrFail(Invoice, { id: payment.invoiceId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    invoice.amountRefunded += refund.amount;
    invoice.updatedAt = now;
  }
  await em.flush();
  return { refundId: refund.id, invoiceId: payment.invoiceId };
}
