/**
 * Registration (PORTAL_REGISTRATION, on by default; off makes it the 404 page): a name, an email address
 * no customer has yet, a plan among the offered prices (services/portal/offered-prices.ts), the explicit
 * consent to future charges for a recurring plan (recorded with its sentence and time) and a card.
 * Then services/portal/register-customer.ts: the customer, its card, and an invoice charged now or a
 * subscription started; the customer is signed in and lands on the portal's home.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadBrand } from '../../services/documents/brand';
import { offeredPrice, offeredPrices } from '../../services/portal/offered-prices';
import { registerCustomer } from '../../services/portal/register-customer';
import { openCustomerSession } from '../../services/access/portal-sign-in-links';
import { subscriptionWorkflowId, waitUntilRecordedUpdate } from '../../workflows/subscription/contract';
import { formatters, resolveLocale } from '../i18n';
import { renderNotFound, renderPage } from '../render';
import type { PageDeps } from '../page-deps';
import { accessRateLimit, type PortalPageOptions } from './options';
import { priceLabel } from './price-label';
import { setSessionCookie } from './session';
import { looksLikeEmail } from './sign-in-pages';

const MAX_NAME = 200;

const format = (request: FastifyRequest) => formatters(resolveLocale(request.headers['accept-language']));
const field = (body: Record<string, unknown>, name: string): string => (typeof body[name] === 'string' ? (body[name] as string) : '');

interface FormValues {
  name: string;
  email: string;
  price: string;
  consent: boolean;
}

export async function registerPages(app: FastifyInstance, deps: PageDeps & { portal: PortalPageOptions }): Promise<void> {
  const { orm, portal, cardEntry } = deps;
  const hide = { hide: true };

  /** The sentence beside the consent checkbox: shown, then recorded word for word when ticked. */
  const consentText = async (request: FastifyRequest) => format(request).t('portal.consentText', { company: (await loadBrand(orm.em.fork())).name });

  async function renderForm(request: FastifyRequest, reply: FastifyReply, values: FormValues, errors: Record<string, string> = {}, status = 200, emailTaken = false) {
    const f = format(request);
    const offers = (await offeredPrices(orm.em.fork())).map(({ price, product }) => ({
      id: price.id,
      name: price.nickname ? `${product.name} (${price.nickname})` : product.name,
      description: product.description,
      label: priceLabel(price, f),
      recurring: price.type === 'recurring',
    }));
    return renderPage(
      request,
      reply,
      'portal/register',
      { title: f.t('portal.registerTitle'), offers, values, errors, emailTaken, consentText: await consentText(request), card: await cardEntry.prepare({ customerId: null }) },
      status,
    );
  }

  app.get('/portal/register', { config: { public: true }, schema: hide }, async (request, reply) => {
    if (!portal.registration) return renderNotFound(request, reply);
    return renderForm(request, reply, { name: '', email: '', price: '', consent: false });
  });

  app.post('/portal/register', { config: { public: true, rateLimit: accessRateLimit(portal) }, schema: hide }, async (request, reply) => {
    if (!portal.registration) return renderNotFound(request, reply);
    const { t } = format(request);
    const body = (request.body as Record<string, unknown> | undefined) ?? {};
    const values: FormValues = { name: field(body, 'name').trim(), email: field(body, 'email').trim(), price: field(body, 'price'), consent: field(body, 'consent') === 'yes' };
    const errors: Record<string, string> = {};
    if (values.name === '') errors.name = t('portal.nameRequired');
    else if (values.name.length > MAX_NAME) errors.name = t('portal.field_too_long');
    if (!looksLikeEmail(values.email)) errors.email = t('portal.emailInvalid');
    const offer = values.price ? await offeredPrice(orm.em.fork(), values.price) : null;
    if (!offer) errors.price = t('portal.planRequired');
    else if (offer.price.type === 'recurring' && !values.consent) errors.consent = t('portal.consentRequired');
    const card = await cardEntry.read(body, t, { customerId: null });
    if (!card.ok) Object.assign(errors, card.errors);
    if (Object.keys(errors).length > 0 || !offer || !card.ok) return renderForm(request, reply, values, errors, 400);

    const outcome = await registerCustomer(
      { orm, temporal: deps.temporal, taskQueue: deps.taskQueue, invoiceNumbering: deps.invoiceNumbering },
      {
        name: values.name,
        email: values.email,
        offer,
        paymentMethod: card.paymentMethod,
        consent: offer.price.type === 'recurring' ? { text: await consentText(request), ipAddress: request.ip, userAgent: request.headers['user-agent'] ?? null } : null,
        now: new Date(),
        // With Stripe the card was set up before its customer existed: attached to it before anything is charged.
        attachCard: (customerId, paymentMethod) => cardEntry.attachCard?.(customerId, paymentMethod) ?? Promise.resolve(),
      },
    );
    if (!outcome.registered) {
      // The address has an account: say only that, and point to the sign-in page (which emails that inbox, not this visitor).
      return renderForm(request, reply, { ...values, email: '' }, { email: t('portal.emailTaken') }, 409, true);
    }
    request.log.info({ customerId: outcome.customerId, subscriptionId: outcome.subscriptionId, invoiceId: outcome.invoiceId }, 'customer registered in the portal');
    if (outcome.subscriptionId) {
      try {
        // The home page shows the next renewal once the workflow has recorded the first period.
        await deps.updateWorkflow(subscriptionWorkflowId(outcome.subscriptionId), waitUntilRecordedUpdate);
      } catch (err) {
        request.log.warn({ err, subscriptionId: outcome.subscriptionId }, 'registered subscription started; its first state write is still pending');
      }
    }
    setSessionCookie(reply, await openCustomerSession(orm.em.fork(), outcome.customerId), deps.secureCookies);
    return reply.redirect('/portal', 303);
  });
}
