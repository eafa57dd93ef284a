/**
 * The customer's subscriptions: the list, one subscription (plan, next renewal), pausing and resuming
 * where its state allows (the API portal's pause and resume: the workflow decides, api/subscriptions/lifecycle-actions.ts)
 * and asking to cancel with a reason from a fixed list (the API portal's cancel: a cancellation request,
 * api/cancellation-requests/actions.ts). Another customer's subscription or an unknown id is the 404 page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CancellationRequest, Price, Product, Subscription, SubscriptionItem, type PortalSession } from '../../db/entities';
import { subscriptionLifecycleActions } from '../../api/subscriptions/lifecycle-actions';
import { cancellationRequestActions } from '../../api/cancellation-requests/actions';
import { ApiError } from '../../api/errors';
import { PendingChange } from '../../api/workflow-changes';
import { formatters, resolveLocale, type Translate } from '../i18n';
import { renderNotFound, renderPage } from '../render';
import type { PageDeps } from '../page-deps';
import type { PortalPageOptions } from './options';
import { portalNav } from './nav';
import { allowedActions, requireSession, type PortalAction } from './session';

/** The reasons a customer picks from: the API's values (Stripe's cancellation feedback). */
export const CANCELLATION_REASONS = ['too_expensive', 'missing_features', 'switched_service', 'unused', 'customer_service', 'too_complex', 'low_quality', 'other'] as const;
const MAX_COMMENT = 2000;

/** States a subscription can be paused in now (the workflow has the last word), and resumed from. */
const PAUSABLE = ['active', 'past_due', 'unpaid'];
const DONE = ['paused', 'resumed', 'cancel_requested', 'canceled', 'pending'] as const;

const t = (request: FastifyRequest): Translate => formatters(resolveLocale(request.headers['accept-language'])).t;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

export async function subscriptionPages(app: FastifyInstance, deps: PageDeps & { portal: PortalPageOptions }): Promise<void> {
  const { orm, portal } = deps;
  const lifecycle = subscriptionLifecycleActions(deps);
  const cancellations = cancellationRequestActions({ ...deps, mode: portal.cancellationRequests });
  const page = { public: true } as const;
  const hide = { hide: true };

  const ownSubscription = (session: PortalSession, id: string) => orm.em.fork().findOne(Subscription, { id, customerId: session.customerId });

  /** What each subscription bills: its items' product names. */
  async function planNames(subscriptionIds: string[]): Promise<Map<string, string>> {
    const em = orm.em.fork();
    const items = await em.find(SubscriptionItem, { subscription: { $in: subscriptionIds } }, { orderBy: { position: 'asc' } });
    const prices = await em.find(Price, { id: { $in: [...new Set(items.map((i) => i.priceId))] } });
    const products = await em.find(Product, { id: { $in: [...new Set(prices.map((p) => p.productId))] } });
    const productOf = new Map(prices.map((p) => [p.id, products.find((product) => product.id === p.productId)?.name ?? p.id]));
    const names = new Map<string, string[]>();
    for (const item of items) {
      const id = item.subscription.id;
      names.set(id, [...(names.get(id) ?? []), `${productOf.get(item.priceId)}${item.quantity > 1 ? ` × ${item.quantity}` : ''}`]);
    }
    return new Map([...names].map(([id, list]) => [id, list.join(', ')]));
  }

  app.get('/portal/subscriptions', { config: page, schema: hide }, async (request, reply) => {
    const session = await requireSession(orm, request, reply);
    if (!session) return reply;
    const subscriptions = await orm.em.fork().find(Subscription, { customerId: session.customerId }, { orderBy: { id: 'desc' }, limit: 100 });
    const plans = await planNames(subscriptions.map((s) => s.id));
    return renderPage(request, reply, 'portal/subscriptions', { title: t(request)('portal.subscriptionsTitle'), nav: portalNav(t(request), 'subscriptions'), subscriptions, plans });
  });

  async function renderSubscription(request: IdRequest, reply: FastifyReply, session: PortalSession, subscription: Subscription, extra: { errors?: Record<string, string>; refused?: string; reason?: string; comment?: string } = {}, status = 200) {
    const pending = await orm.em.fork().findOne(CancellationRequest, { subscriptionId: subscription.id, status: 'pending' });
    const done = String((request.query as Record<string, unknown>).done ?? '');
    const allowed = allowedActions(request, session);
    const live = subscription.status !== 'canceled' && subscription.status !== 'incomplete';
    return renderPage(
      request,
      reply,
      'portal/subscription',
      {
        title: t(request)('portal.subscriptionTitle'),
        nav: portalNav(t(request), 'subscriptions'),
        subscription,
        plan: (await planNames([subscription.id])).get(subscription.id) ?? '',
        pending,
        canPause: allowed.pause && PAUSABLE.includes(subscription.status) && !subscription.pauseScheduledAt,
        canResume: allowed.resume && (subscription.status === 'paused' || Boolean(subscription.pauseScheduledAt)),
        canCancel: allowed.cancel && live && !pending && !subscription.cancelAtPeriodEnd,
        reasons: CANCELLATION_REASONS,
        done: (DONE as readonly string[]).includes(done) ? done : null,
        errors: extra.errors ?? {},
        refused: extra.refused ?? null,
        reason: extra.reason ?? '',
        comment: extra.comment ?? '',
      },
      status,
    );
  }

  app.get<{ Params: { id: string } }>('/portal/subscriptions/:id', { config: page, schema: hide }, async (request, reply) => {
    const session = await requireSession(orm, request, reply);
    if (!session) return reply;
    const subscription = await ownSubscription(session, request.params.id);
    if (!subscription) return renderNotFound(request, reply);
    return renderSubscription(request, reply, session, subscription);
  });

  /**
   * One action on the customer's own subscription, allowed to the session as the API allows it: a
   * refusal by the workflow's rules (409, 422) re-renders the page saying so; an answer that did not come
   * in time says it is being processed.
   */
  function action(path: string, permission: PortalAction, run: (request: IdRequest, reply: FastifyReply, session: PortalSession, subscription: Subscription) => Promise<string | FastifyReply>) {
    app.post<{ Params: { id: string } }>(`/portal/subscriptions/:id/${path}`, { config: page, schema: hide }, async (request, reply) => {
      const session = await requireSession(orm, request, reply);
      if (!session) return reply;
      const subscription = await ownSubscription(session, request.params.id);
      if (!subscription) return renderNotFound(request, reply);
      if (!allowedActions(request, session)[permission]) {
        return renderPage(request, reply, 'message', { title: t(request)('portal.notAllowedTitle'), message: t(request)('portal.notAllowedMessage') }, 403);
      }
      let done: string | FastifyReply;
      try {
        done = await run(request, reply, session, subscription);
      } catch (err) {
        if (err instanceof PendingChange) done = 'pending';
        else if (err instanceof ApiError && (err.statusCode === 409 || err.statusCode === 422)) {
          request.log.info({ subscriptionId: subscription.id, code: err.code }, `portal ${path} refused`);
          const fresh = (await ownSubscription(session, subscription.id))!;
          return renderSubscription(request, reply, session, fresh, { refused: t(request)('portal.actionRefused') }, 409);
        } else throw err;
      }
      if (typeof done !== 'string') return done;
      return reply.redirect(`/portal/subscriptions/${encodeURIComponent(subscription.id)}?done=${done}`, 303);
    });
  }

  action('pause', 'pause', async (_request, _reply, _session, subscription) => {
    await lifecycle.pause(subscription.id, {});
    return 'paused';
  });

  action('resume', 'resume', async (_request, _reply, _session, subscription) => {
    await lifecycle.resume(subscription.id);
    return 'resumed';
  });

  action('cancel', 'cancel', async (request, reply, session, subscription) => {
    const body = (request.body as Record<string, unknown> | undefined) ?? {};
    const reason = typeof body.reason === 'string' ? body.reason : '';
    const comment = typeof body.comment === 'string' ? body.comment.trim() : '';
    const errors: Record<string, string> = {};
    if (!(CANCELLATION_REASONS as readonly string[]).includes(reason)) errors.reason = t(request)('portal.reasonRequired');
    if (comment.length > MAX_COMMENT) errors.comment = t(request)('portal.commentTooLong', { max: MAX_COMMENT });
    if (Object.keys(errors).length > 0) return renderSubscription(request, reply, session, subscription, { errors, reason, comment }, 400);
    // The API's body shape (its reason is the same fixed list, checked above).
    const cancellation = { reason, ...(comment ? { comment } : {}) } as unknown as Parameters<typeof cancellations.requestCancellation>[1];
    const answer = await cancellations.requestCancellation(subscription.id, cancellation);
    return answer.status === 'approved' ? 'canceled' : 'cancel_requested';
  });
}
