/**
 * The checkout pages of payment links: `GET /pay/:linkId` (the order, the buyer's details and the
 * card), `POST /pay/:linkId` (complete the checkout, then wait a few seconds for the charge), and
 * `GET /pay/:linkId/complete/:token` (the confirmation, a redirect to the merchant's page, or
 * "processing" until the charge settles). The work is services/checkout; the outcome is written by
 * the session's workflow, which these pages only read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CheckoutSession, Customer, Invoice, PaymentLink, Subscription } from '../../db/entities';
import { RuleViolation } from '../../domain/rule-violation';
import { checkoutTokenHash, isCheckoutToken, newCheckoutToken } from '../../services/checkout/checkout-token';
import { checkQuantities, priceCheckoutOrder } from '../../services/checkout/checkout-order';
import { completeCheckout } from '../../services/checkout/complete-checkout';
import { formatters, resolveLocale } from '../i18n';
import type { PageDeps } from '../page-deps';
import { renderNotFound, renderPage } from '../render';
import { buyerFields, emptyBuyer, readBuyer, requestedQuantities, type BuyerFields, type FormBody } from './checkout-form';
import { interval, orderSummary, startDateBounds } from './checkout-view';

/** How long a submit waits for the charge before showing the "processing" page (which refreshes itself). */
const OUTCOME_WAIT_MS = 10_000;
const OUTCOME_POLL_MS = 250;

type LinkParams = { Params: { linkId: string } };
type CompleteParams = { Params: { linkId: string; token: string } };

interface FormState {
  quantities?: (number | undefined)[];
  fields?: BuyerFields;
  errors?: Record<string, string>;
  alert?: string | null;
  status?: number;
  /** After a decline: the failed attempt's token, so the retry bills the same (new) customer. */
  previousToken?: string;
}

export async function checkoutPages(app: FastifyInstance, deps: PageDeps): Promise<void> {
  const { orm } = deps;
  const page = { config: { public: true }, schema: { hide: true } };
  const completeUrl = (linkId: string, token: string) => `/pay/${encodeURIComponent(linkId)}/complete/${token}`;

  async function activeLink(linkId: string): Promise<PaymentLink | null> {
    const link = await orm.em.fork().findOne(PaymentLink, { id: linkId });
    return link && link.active ? link : null;
  }

  /** The checkout form, with a fresh token: every rendering is a new purchase attempt. */
  async function renderForm(request: FastifyRequest, reply: FastifyReply, link: PaymentLink, state: FormState = {}): Promise<FastifyReply> {
    const format = formatters(resolveLocale(request.headers['accept-language']));
    let quantities: number[];
    let quantityError: string | null = null;
    try {
      quantities = checkQuantities(link, state.quantities ?? []);
    } catch (err) {
      if (!(err instanceof RuleViolation)) throw err;
      // Shown with the link's own quantities (which may all be zero: the buyer picks) and the message.
      quantities = link.lineItems.map((item) => item.quantity);
      quantityError = err.message;
    }
    let order;
    try {
      order = await priceCheckoutOrder(orm.em.fork(), link, quantities);
    } catch (err) {
      // A price retired since the link was made: the link sells nothing any more.
      if (err instanceof RuleViolation) return renderNotFound(request, reply);
      throw err;
    }
    const summary = orderSummary(link, order, quantities, format);
    return renderPage(
      request,
      reply,
      'checkout/pay',
      {
        title: format.t('checkout.title'),
        link: { id: link.id, mode: link.mode },
        summary,
        quantities,
        token: newCheckoutToken(),
        previousToken: state.previousToken ?? null,
        fields: state.fields ?? emptyBuyer(),
        errors: state.errors ?? (quantityError ? { quantities: quantityError } : {}),
        alert: state.alert ?? quantityError,
        startDate: startDateBounds(link, new Date()),
        futureStartDays: link.futureStartMaxDays,
        // The customer is found or created with the order, so the card is set up for none yet.
        card: await deps.cardEntry.prepare({ customerId: null }),
      },
      state.status ?? (quantityError ? 400 : 200),
    );
  }

  app.get<LinkParams & { Querystring: FormBody }>('/pay/:linkId', page, async (request, reply) => {
    const link = await activeLink(request.params.linkId);
    if (!link) return renderNotFound(request, reply);
    return renderForm(request, reply, link, { quantities: requestedQuantities(link, request.query ?? {}) });
  });

  /** Waits (a bounded time) for the session's workflow to record the outcome. */
  async function outcome(sessionId: string): Promise<CheckoutSession> {
    const deadline = Date.now() + OUTCOME_WAIT_MS;
    for (;;) {
      const session = await orm.em.fork().findOneOrFail(CheckoutSession, { id: sessionId });
      if (session.status !== 'open' || Date.now() >= deadline) return session;
      await new Promise((resolve) => setTimeout(resolve, OUTCOME_POLL_MS));
    }
  }

  // A checkout takes any card typed into it: its own per-IP budget stops a card tester's run of tries.
  app.post<LinkParams>('/pay/:linkId', { config: { public: true, rateLimit: deps.cardAttemptLimit }, schema: { hide: true } }, async (request, reply) => {
    const link = await activeLink(request.params.linkId);
    if (!link) return renderNotFound(request, reply);
    const { t } = formatters(resolveLocale(request.headers['accept-language']));
    const body = (request.body ?? {}) as FormBody;
    const quantities = requestedQuantities(link, body);
    const fields = buyerFields(body);
    const again = (state: FormState) => renderForm(request, reply, link, { quantities, fields, ...state });

    const { buyer, errors } = readBuyer(fields, t);
    const card = await deps.cardEntry.read(body, t, { customerId: null });
    const token = body.token;
    if (!isCheckoutToken(token)) return again({ alert: t('common.forbiddenMessage'), status: 400 });
    if (!buyer || !card.ok) return again({ errors: { ...errors, ...(card.ok ? {} : card.errors) }, alert: t('common.fixErrors'), status: 400 });

    let session: CheckoutSession;
    try {
      session = await completeCheckout(
        {
          orm,
          temporal: deps.temporal,
          taskQueue: deps.taskQueue,
          numbering: deps.invoiceNumbering,
          attachCard: deps.cardEntry.attachCard ? (customerId, paymentMethod) => deps.cardEntry.attachCard!(customerId, paymentMethod) : undefined,
        },
        {
          linkId: link.id,
          token,
          quantities,
          buyer,
          startDate: fields.start_date,
          paymentMethod: card.paymentMethod,
          previousToken: isCheckoutToken(body.previous_token) ? body.previous_token : undefined,
        },
      );
    } catch (err) {
      if (!(err instanceof RuleViolation)) throw err;
      if (err.param === 'link') return renderNotFound(request, reply);
      const field = err.param === 'start_date' || err.param === 'email' ? err.param : null;
      return again({ errors: field ? { [field]: err.message } : {}, alert: field ? t('common.fixErrors') : err.message, status: 400 });
    }
    const settled = await outcome(session.id);
    if (settled.status === 'failed' || settled.status === 'expired') {
      // Nothing was charged and what the attempt wrote is undone: a fresh form, the buyer's details kept.
      return again({ alert: `${settled.failureMessage ?? t('checkout.declinedTitle')} ${t('checkout.declinedRetry')}`, status: 402, previousToken: token });
    }
    return reply.redirect(completeUrl(link.id, token), 303);
  });

  app.get<CompleteParams>('/pay/:linkId/complete/:token', page, async (request, reply) => {
    const { linkId, token } = request.params;
    if (!isCheckoutToken(token)) return renderNotFound(request, reply);
    const em = orm.em.fork();
    const session = await em.findOne(CheckoutSession, { tokenHash: checkoutTokenHash(token) });
    const link = session ? await em.findOne(PaymentLink, { id: session.paymentLinkId }) : null;
    if (!session || !link || session.paymentLinkId !== linkId) return renderNotFound(request, reply);
    const { t, money, date } = formatters(resolveLocale(request.headers['accept-language']));
    const retryUrl = `/pay/${encodeURIComponent(link.id)}`;

    if (session.status === 'open') {
      return renderPage(request, reply, 'checkout/processing', { title: t('checkout.processingTitle') });
    }
    if (session.status !== 'complete') {
      const title = session.status === 'expired' ? t('checkout.expiredTitle') : t('checkout.failedTitle');
      const message = session.status === 'expired' ? t('checkout.expiredMessage') : `${session.failureMessage ?? ''} ${t('checkout.declinedRetry')}`.trim();
      return renderPage(request, reply, 'checkout/failed', { title, message, retryUrl: link.active ? retryUrl : null });
    }
    if (link.afterCompletion.type === 'redirect') {
      return renderPage(request, reply, 'checkout/redirect', { title: t('checkout.redirectTitle'), url: link.afterCompletion.url });
    }
    const invoice = session.invoiceId ? await em.findOne(Invoice, { id: session.invoiceId }) : null;
    const subscriptions = session.subscriptionIds.length ? await em.find(Subscription, { id: { $in: session.subscriptionIds } }) : [];
    const trialEnd = subscriptions.find((s) => s.trialEnd)?.trialEnd ?? null;
    const customer = await em.findOne(Customer, { id: session.customerId });
    return renderPage(request, reply, 'checkout/complete', {
      title: t('checkout.completeTitle'),
      customMessage: link.afterCompletion.customMessage,
      email: customer?.email ?? '',
      lines: session.lines.map((l) => {
        const every = interval(l);
        return { description: l.description, quantity: l.quantity, amount: money(l.unitAmount * l.quantity, session.currency), every: every ? t('checkout.every', { interval: every }) : null };
      }),
      paid: invoice?.status === 'paid' ? money(invoice.amountPaid, invoice.currency) : null,
      invoiceNumber: invoice?.number ?? null,
      reference: session.id,
      subscriptionStart: subscriptions.length && !trialEnd ? date(session.startDate) : null,
      trialEnd: trialEnd ? date(trialEnd) : null,
    });
  });
}
