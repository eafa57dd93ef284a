/**
 * The quote workflow's records and effects: the quote's read model (stage, versions, signatures),
 * the acceptance emails with their links, reminders, the payment invoice, the instalment plan or the
 * subscriptions it starts, and the confirmations with the onboarding task. Every one is idempotent
 * under retries: rows are matched by natural keys, "create once" steps run check-then-insert with the
 * quote row locked, and emails go through the outbox with a unique key.
 */
import { randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { DateTime } from 'luxon';
import type { ActivityDeps } from './deps';
import { Customer, Email, Instalment, InstalmentPlan, Invoice, OnboardingTask, Quote, QuoteLink, QuoteSignature, QuoteVersion, Subscription } from '../db/entities';
import { newId } from '../db/ids';
import { describeInterval } from '../domain/frequency';
import { formatMoney } from '../domain/money';
import { computeDueDate } from '../domain/payment-terms';
import { buildInstalmentSchedule } from '../domain/instalment-schedule';
import type { PlanInstalment } from '../domain/instalment-changes';
import { quoteScheduleInput, type QuoteContent, type QuoteTotals } from '../domain/quote';
import { linkTokenHash } from '../domain/quote-hash';
import type { QuoteView } from '../workflows/quote/contract';
import { recordNotFound } from './errors';
import { DEFAULT_INVOICE_NUMBER_FORMAT } from '../services/invoices/invoice-numbering';
import { issueInvoice, priceInvoice } from '../services/invoices/invoice-records';
import { summariseInvoice, type InvoiceSummary } from './invoicing';
import { queueAndDeliver } from './email/outbox';
import { renderEmail, type EmailKind } from './email/templates';
import { brandEmailView, loadBrand } from '../services/documents/brand';
import { addInstalmentPlanRecords, newInstalmentPlanFields, startInstalmentPlanWorkflow, toPlanInstalments } from '../services/instalment-plans/start-instalment-plan';
import { addSubscriptionRecord, startSubscriptionWorkflow } from '../services/subscriptions/start-subscription';

export interface RecordQuoteStateInput {
  quoteId: string;
  state: QuoteView;
  /** Workflow time of the write (when a superseded version stopped counting). */
  recordedAt: string;
}

/** The public path of an acceptance link: `${publicUrl}${quoteLinkPath(token)}`. */
export const quoteLinkPath = (token: string): string => `/v1/public/quotes/${token}`;

/** What the outbox copy of an email shows instead of a link's token (which only the delivered email carries). */
export const REDACTED_TOKEN = '[redacted]';

const toDate = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));

export function quoteActivities({ orm, mailer, emailFrom, publicUrl, invoiceNumberPrefix, invoiceNumberPadding }: ActivityDeps) {
  const numbering = { prefix: invoiceNumberPrefix, padding: invoiceNumberPadding ?? DEFAULT_INVOICE_NUMBER_FORMAT.padding };

  /** The quote row locked for the rest of the caller's transaction: one "create once" step at a time. */
  async function lockQuote(em: EntityManager, quoteId: string): Promise<Quote> {
    const quote = await em.findOne(Quote, { id: quoteId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!quote) throw recordNotFound('quote', quoteId);
    return quote;
  }

  async function currentVersion(em: EntityManager, quote: Quote): Promise<{ content: QuoteContent; totals: QuoteTotals }> {
    const row = await em.findOne(QuoteVersion, { quoteId: quote.id, version: quote.version });
    if (!row) throw recordNotFound('quote version', `${quote.id}/${quote.version}`);
    return { content: row.content, totals: row.totals };
  }

  async function load(quoteId: string) {
    const em = orm.em.fork();
    const quote = await em.findOne(Quote, { id: quoteId });
    if (!quote) throw recordNotFound('quote', quoteId);
    const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
    const { content, totals } = await currentVersion(em, quote);
    const brand = brandEmailView(await loadBrand(em));
    return { em, quote, customer, content, totals, brand };
  }

  const date = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toFormat('d LLL yyyy');

  function quoteEmailView(quote: Quote, customer: Customer, content: QuoteContent, totals: QuoteTotals, brand: ReturnType<typeof brandEmailView>) {
    const m = (amount: number) => formatMoney({ amount, currency: content.currency });
    return {
      brand,
      companyName: brand.name,
      quoteId: quote.id,
      quoteTitle: content.title,
      version: content.version,
      ownerName: content.owner.name,
      ownerEmail: content.owner.email,
      customerId: customer.id,
      customerName: customer.name,
      customerEmail: customer.email,
      total: m(totals.oneTime.total),
      expiresAt: date(content.expiresAt, customer.timeZone),
      lines: content.lines.map((l) => ({
        description: l.description,
        quantity: l.quantity,
        amount: m(l.unitAmount * l.quantity),
        recurring: l.recurring ? describeInterval(l.recurring) : null,
      })),
      recurringTotals: totals.recurring.map((r) => ({ amount: m(r.total), interval: describeInterval(r.interval) })),
    };
  }

  /**
   * One email carrying the signer's own acceptance link, once per `key`. The token is minted here and
   * lives only in memory and in the delivered email: the link row keeps its SHA-256 and the outbox
   * keeps a copy with the token redacted, so nobody reading the outbox or the database can sign as the
   * customer. A delivery that is retried (the email is still pending) cannot recover the first token,
   * so it mints another link for the same signer and version; an earlier link that did arrive keeps
   * working.
   */
  async function sendWithLink(
    quote: Quote,
    signer: { id: string; email: string; name: string },
    kind: EmailKind,
    key: string,
    version: number,
    view: Record<string, unknown>,
  ): Promise<string> {
    const em = orm.em.fork();
    const existing = await em.findOne(Email, { key });
    if (existing?.status === 'sent') return existing.id;
    const token = randomBytes(32).toString('base64url');
    em.create(QuoteLink, {
      id: newId('quoteLink'),
      quoteId: quote.id,
      tokenHash: linkTokenHash(token),
      emailKey: key,
      signerId: signer.id,
      signerEmail: signer.email,
      version,
      createdAt: new Date(),
    });
    await em.flush();
    const signerView = { ...view, signerName: signer.name };
    const email = await queueAndDeliver(orm, mailer, emailFrom, {
      ...renderEmail(kind, { ...signerView, acceptUrl: `${publicUrl}${quoteLinkPath(REDACTED_TOKEN)}` }),
      deliver: renderEmail(kind, { ...signerView, acceptUrl: `${publicUrl}${quoteLinkPath(token)}` }),
      key,
      kind,
      to: signer.email,
      customerId: quote.customerId,
      relatedId: quote.id,
    });
    return email.id;
  }

  async function send(kind: EmailKind, key: string, to: string, quote: Quote, view: Record<string, unknown>): Promise<string> {
    const email = await queueAndDeliver(orm, mailer, emailFrom, {
      ...renderEmail(kind, view),
      key,
      kind,
      to,
      customerId: quote.customerId,
      relatedId: quote.id,
    });
    return email.id;
  }

  return {
    /** Writes the workflow's view to the quote, its versions and its signatures. The workflow is the only writer. */
    async recordQuoteState({ quoteId, state, recordedAt }: RecordQuoteStateInput): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        const quote = await lockQuote(em, quoteId);
        const { content, contentHash, totals, requiresApproval } = state.version;
        Object.assign(quote, {
          stage: state.stage,
          version: content.version,
          contentHash,
          title: content.title,
          ownerName: content.owner.name,
          ownerEmail: content.owner.email,
          expiresAt: new Date(content.expiresAt),
          oneTimeTotal: totals.oneTime.total,
          discountPpm: totals.discountPpm,
          requiresApproval,
          paymentMode: content.payment.oneTime,
          waitingFor: state.waitingFor,
          invoiceId: state.invoiceId,
          instalmentPlanId: state.instalmentPlanId,
          subscriptionIds: state.subscriptionIds,
          timeline: state.transitions,
          approvedBy: state.approvedBy,
          approvedAt: toDate(state.approvedAt),
          acceptedAt: toDate(state.acceptedAt),
          fulfilledAt: toDate(state.fulfilledAt),
          declinedAt: toDate(state.declinedAt),
          declineReason: state.declineReason,
          voidedAt: toDate(state.voidedAt),
          voidReason: state.voidReason,
          expiredAt: toDate(state.expiredAt),
          updatedAt: new Date(),
        });
        const row = await em.findOne(QuoteVersion, { quoteId, version: content.version });
        if (!row) {
          em.create(QuoteVersion, { id: newId('quoteVersion'), quoteId, version: content.version, content, contentHash, totals, createdAt: new Date(recordedAt), supersededAt: null });
        } else if (row.contentHash !== contentHash) {
          // A draft edit keeps the version number.
          Object.assign(row, { content, contentHash, totals });
        }
        await em.nativeUpdate(QuoteVersion, { quoteId, version: { $lt: content.version }, supersededAt: null }, { supersededAt: new Date(recordedAt) });
        const existing = new Map((await em.find(QuoteSignature, { quoteId })).map((s) => [`${s.version}:${s.signerId}`, s]));
        for (const s of state.signatures) {
          const known = existing.get(`${s.version}:${s.signerId}`);
          if (known) known.superseded = s.superseded;
          else {
            em.create(QuoteSignature, {
              id: newId('quoteSignature'),
              quoteId,
              version: s.version,
              contentHash: s.contentHash,
              signerId: s.signerId,
              kind: s.kind,
              name: s.name,
              email: s.email,
              linkId: s.linkId ?? null,
              apiKeyId: s.apiKeyId ?? null,
              ip: s.ip,
              userAgent: s.userAgent ?? null,
              signedAt: new Date(s.signedAt),
              superseded: s.superseded,
            });
          }
        }
      });
    },

    /** The acceptance email (first send or revision) to each customer signer named, each with its own link. */
    async sendQuoteEmails({ quoteId, version, kind, signerIds }: { quoteId: string; version: number; kind: 'quote_sent' | 'quote_revised'; signerIds: string[] }): Promise<string[]> {
      const { quote, customer, content, totals, brand } = await load(quoteId);
      if (content.version !== version) return []; // superseded meanwhile: the newer version sends its own
      const view = quoteEmailView(quote, customer, content, totals, brand);
      const sent: string[] = [];
      for (const signer of content.signing.signers.filter((s) => signerIds.includes(s.id))) {
        sent.push(await sendWithLink(quote, signer, kind, `${kind}:${quoteId}:${version}:${signer.id}`, version, view));
      }
      return sent;
    },

    /** A reminder before expiry to each customer signer who has not signed, with a fresh link. */
    async sendQuoteReminder({ quoteId, version, daysBefore, signerIds }: { quoteId: string; version: number; daysBefore: number; signerIds: string[] }): Promise<string[]> {
      const { quote, customer, content, totals, brand } = await load(quoteId);
      if (content.version !== version) return [];
      const view = quoteEmailView(quote, customer, content, totals, brand);
      const sent: string[] = [];
      for (const signer of content.signing.signers.filter((s) => signerIds.includes(s.id))) {
        sent.push(await sendWithLink(quote, signer, 'quote_reminder', `quote_reminder:${quoteId}:${version}:${daysBefore}:${signer.id}`, version, view));
      }
      return sent;
    },

    /**
     * Issues (once) the open invoice for the accepted version's one-time lines, priced exactly as the
     * quote was (discounts, fees, taxes): charged at once (`charge_now`) or emailed with the quote's
     * payment terms. The quote row, locked, remembers it, so a retry returns the same invoice.
     */
    async createQuoteInvoice({ quoteId, issuedAt }: { quoteId: string; issuedAt: string }): Promise<InvoiceSummary> {
      const invoice = await orm.em.fork().transactional(async (em) => {
        const quote = await lockQuote(em, quoteId);
        if (quote.invoiceId) return em.findOneOrFail(Invoice, { id: quote.invoiceId });
        const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
        const { content } = await currentVersion(em, quote);
        const chargeNow = content.payment.oneTime === 'charge_now';
        const terms = chargeNow ? 'due_on_receipt' : content.payment.paymentTerms;
        const issued = new Date(issuedAt);
        const priced = priceInvoice({
          currency: content.currency,
          lines: content.lines
            .filter((l) => l.recurring === null)
            .map((l) => ({ description: l.description, priceId: l.priceId, unitAmount: l.unitAmount, quantity: l.quantity })),
          discounts: content.discounts.map(({ couponId: _couponId, ...discount }) => discount),
          fees: content.fees,
          taxRates: content.taxRates.map(({ id: _id, ...rate }) => rate),
        });
        const created = await issueInvoice(
          em,
          numbering,
          {
            customerId: quote.customerId,
            subscriptionId: null,
            periodIndex: null,
            periodStart: null,
            periodEnd: null,
            currency: content.currency,
            collectionMethod: chargeNow ? 'charge_automatically' : 'send_invoice',
            paymentTerms: terms,
            dueDate: computeDueDate(terms, issued, customer.timeZone),
            finalizedAt: issued,
          },
          priced,
        );
        quote.invoiceId = created.id;
        quote.updatedAt = new Date();
        return created;
      });
      return summariseInvoice(invoice);
    },

    /**
     * Starts (once) the instalment plan that splits the one-time total, first payment at
     * `firstPaymentDate` (the workflow's acceptance time). The plan records are written with the
     * quote row locked and pointing at them; the workflow start is idempotent.
     */
    async startQuoteInstalmentPlan({ quoteId, firstPaymentDate }: { quoteId: string; firstPaymentDate: string }): Promise<{ planId: string }> {
      const { plan, instalments } = await orm.em.fork().transactional(async (em) => {
        const quote = await lockQuote(em, quoteId);
        if (quote.instalmentPlanId) {
          const existing = await em.findOneOrFail(InstalmentPlan, { id: quote.instalmentPlanId });
          const rows = await em.find(Instalment, { planId: existing.id }, { orderBy: { number: 'asc' } });
          const schedule: PlanInstalment[] = rows.map((r) => ({
            number: r.number,
            kind: r.kind === 'payoff' ? 'instalment' : r.kind,
            dueDate: r.dueDate.toISOString(),
            amount: r.amount,
            principal: r.principal,
            interest: r.interest,
            remainingPrincipal: r.remainingPrincipal,
            status: 'scheduled',
            invoiceId: null,
            paidAt: null,
          }));
          return { plan: existing, instalments: schedule };
        }
        const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
        const { content, totals } = await currentVersion(em, quote);
        const spec = content.payment.schedule;
        if (!spec) throw recordNotFound('payment schedule of quote', quoteId);
        const schedule = buildInstalmentSchedule(quoteScheduleInput(spec, content.currency, totals.oneTime.total, customer.timeZone, firstPaymentDate));
        const id = newId('instalmentPlan');
        const fields = newInstalmentPlanFields({
          id,
          customer,
          schedule,
          description: `${content.title} (quote ${quoteId})`,
          contractReference: quoteId,
          annualInterestRatePpm: null,
          interval: spec.interval,
          collectionMethod: customer.defaultPaymentMethod ? 'charge_automatically' : 'send_invoice',
          paymentTerms: content.payment.paymentTerms,
          reminderDaysBefore: 3,
          remindCustomer: true,
          onPermanentFailure: 'continue',
          accountManagerEmail: quote.accountManagerEmail ?? quote.ownerEmail,
          sourceInvoiceId: null,
          metadata: { quote: quoteId },
          now: new Date(firstPaymentDate),
        });
        const instalments = toPlanInstalments(schedule);
        const created = await addInstalmentPlanRecords(em, fields, instalments);
        quote.instalmentPlanId = id;
        quote.updatedAt = new Date();
        return { plan: created, instalments };
      });
      const context = Context.current();
      try {
        await startInstalmentPlanWorkflow(context.client, context.info.taskQueue, plan, instalments);
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      return { planId: plan.id };
    },

    /**
     * Starts (once) the subscriptions for the recurring lines, from `startDate`, through
     * services/subscriptions/start-subscription.ts. One subscription per price (quantities of the same price are
     * added up): `NewSubscription.items` holds exactly one item today. Once several items per
     * subscription land, the lines of one interval can go into one subscription here.
     */
    async startQuoteSubscriptions({ quoteId, startDate, now }: { quoteId: string; startDate: string; now: string }): Promise<{ subscriptionIds: string[] }> {
      const subscriptions = await orm.em.fork().transactional(async (em) => {
        const quote = await lockQuote(em, quoteId);
        if (quote.subscriptionIds.length > 0) return em.find(Subscription, { id: { $in: quote.subscriptionIds } }, { orderBy: { id: 'asc' } });
        const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
        const { content } = await currentVersion(em, quote);
        // One subscription per billing interval, holding one item per price (a price quoted on two lines
        // is one item with both quantities): a monthly seat price and a monthly add-on bill together. A
        // price quoted twice at different negotiated amounts cannot be one item: it goes to another
        // subscription on the same interval.
        type Item = { priceId: string; quantity: number; unitAmount: number };
        type Group = { interval: { unit: 'day' | 'week' | 'month' | 'year'; count: number }; items: Map<string, Item> };
        const groups: Group[] = [];
        for (const line of content.lines) {
          if (!line.recurring || !line.priceId) continue;
          const sameInterval = groups.filter((g) => g.interval.unit === line.recurring!.unit && g.interval.count === line.recurring!.count);
          let group = sameInterval.find((g) => g.items.get(line.priceId!)?.unitAmount === line.unitAmount) ?? sameInterval.find((g) => !g.items.has(line.priceId!));
          if (!group) {
            group = { interval: line.recurring, items: new Map<string, Item>() };
            groups.push(group);
          }
          const item = group.items.get(line.priceId);
          if (item) item.quantity += line.quantity;
          else group.items.set(line.priceId, { priceId: line.priceId, quantity: line.quantity, unitAmount: line.unitAmount });
        }
        const created: Subscription[] = [];
        for (const group of groups) {
          created.push(
            addSubscriptionRecord(em, {
              id: newId('subscription'),
              customerId: customer.id,
              timeZone: customer.timeZone,
              currency: content.currency,
              intervalUnit: group.interval.unit,
              intervalCount: group.interval.count,
              items: [...group.items.values()],
              collectionMethod: content.payment.oneTime === 'send_invoice' || !customer.defaultPaymentMethod ? 'send_invoice' : 'charge_automatically',
              startDate: new Date(startDate),
              metadata: { quote: quoteId },
              defaultTaxRateIds: content.taxRates.map((t) => t.id),
              now: new Date(now),
            }),
          );
        }
        await em.flush();
        quote.subscriptionIds = created.map((s) => s.id);
        quote.updatedAt = new Date();
        return created;
      });
      const context = Context.current();
      for (const subscription of subscriptions) await startSubscriptionWorkflow(context.client, context.info.taskQueue, subscription);
      return { subscriptionIds: subscriptions.map((s) => s.id) };
    },

    /**
     * Once paid: the confirmation to the customer and to the quote's owner, the welcome email, the
     * internal notification to the account manager, and the onboarding task (one per quote).
     */
    async sendQuoteConfirmations({ quoteId, paidAt }: { quoteId: string; paidAt: string }): Promise<{ emailIds: string[]; onboardingTaskId: string }> {
      const { em, quote, customer, content, totals, brand } = await load(quoteId);
      const manager = quote.accountManagerEmail ?? customer.accountOwnerEmail ?? quote.ownerEmail;
      await em.execute(
        `insert into onboarding_tasks (id, quote_id, customer_id, assignee_email, title, description, status, created_at)
         values (?, ?, ?, ?, ?, ?, 'open', ?) on conflict (quote_id) do nothing`,
        [
          newId('onboardingTask'),
          quoteId,
          customer.id,
          manager,
          `Onboard ${customer.name}`,
          `Quote ${quoteId} "${content.title}" was signed and paid; sold by ${content.owner.name} <${content.owner.email}>.`,
          new Date(paidAt),
        ],
      );
      const task = await orm.em.fork().findOneOrFail(OnboardingTask, { quoteId });
      const view = {
        ...quoteEmailView(quote, customer, content, totals, brand),
        invoiceId: quote.invoiceId,
        planId: quote.instalmentPlanId,
        subscriptionIds: quote.subscriptionIds,
        subscriptionCount: quote.subscriptionIds.length > 0,
        subscriptionStart: date(content.payment.subscriptionStartDate ?? paidAt, customer.timeZone),
        managerEmail: manager,
        taskId: task.id,
      };
      const emailIds = [
        await send('quote_paid', `quote_paid:${quoteId}`, customer.email, quote, view),
        await send('quote_paid_owner', `quote_paid_owner:${quoteId}`, quote.ownerEmail, quote, view),
        await send('quote_welcome', `quote_welcome:${quoteId}`, customer.email, quote, view),
        await send('quote_onboarding', `quote_onboarding:${quoteId}`, manager, quote, view),
      ];
      return { emailIds, onboardingTaskId: task.id };
    },
  };
}
