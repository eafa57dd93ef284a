/**
 * The quote workflow's activities: thin adapters over services/quotes/ (the read model, the payment
 * invoice, the instalment plan or subscriptions an accepted quote starts, the onboarding task) and
 * the mailer (the acceptance emails with their links, reminders, confirmations). Every one is
 * idempotent under retries: rows are matched by natural keys, "create once" steps run
 * check-then-insert with the quote row locked, and emails go through the outbox with a unique key.
 */
import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { Email, QuoteLink, type Quote } from '../db/entities';
import { newId } from '../db/ids';
import { linkTokenHash } from '../domain/quote-hash';
import { recordNotFound } from './errors';
import { DEFAULT_INVOICE_NUMBER_FORMAT } from '../services/invoices/invoice-numbering';
import { MissingQuoteRecord, loadQuoteForEmail } from '../services/quotes/quote-records';
import { quoteEmailDate, quoteEmailView } from '../services/quotes/quote-email-view';
import { recordQuoteState, type RecordQuoteStateInput } from '../services/quotes/record-quote-state';
import { createQuoteInvoice } from '../services/quotes/create-quote-invoice';
import { startQuoteInstalmentPlan } from '../services/quotes/start-quote-instalment-plan';
import { startQuoteSubscriptions } from '../services/quotes/start-quote-subscriptions';
import { onboardingAssignee, openOnboardingTask } from '../services/quotes/open-onboarding-task';
import { summariseInvoice, type InvoiceSummary } from './invoicing';
import { queueAndDeliver } from './email/outbox';
import { renderEmail, type EmailKind } from './email/templates';

export type { RecordQuoteStateInput } from '../services/quotes/record-quote-state';

/**
 * The public path of an acceptance link: `${publicUrl}${quoteLinkPath(token)}`, the acceptance page
 * (web/quotes/) where the signer reads, signs or declines the version it was sent for. The same token
 * also works on the JSON routes under `/v1/public/quotes/`.
 */
export const quoteLinkPath = (token: string): string => `/quotes/${token}`;

/** What the outbox copy of an email shows instead of a link's token (which only the delivered email carries). */
export const REDACTED_TOKEN = '[redacted]';

/** A quote row the operation relies on is missing: retrying cannot fix it, so fail for good. */
async function missingIsPermanent<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (err instanceof MissingQuoteRecord) throw recordNotFound(err.kind, err.id);
    throw err;
  }
}

/** The worker's Temporal client and task queue, for the workflows an accepted quote starts. */
function workflowStarter() {
  const context = Context.current();
  return { client: context.client, taskQueue: context.info.taskQueue };
}

export function quoteActivities({ orm, mailer, emailFrom, publicUrl, invoiceNumberPrefix, invoiceNumberPadding }: ActivityDeps) {
  const numbering = { prefix: invoiceNumberPrefix, padding: invoiceNumberPadding ?? DEFAULT_INVOICE_NUMBER_FORMAT.padding };

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

  /** One email with its own link to each customer signer named, unless the version was superseded meanwhile. */
  async function sendToSigners(quoteId: string, version: number, signerIds: string[], kind: EmailKind, keyOf: (signerId: string) => string): Promise<string[]> {
    const loaded = await missingIsPermanent(() => loadQuoteForEmail(orm, quoteId));
    const { quote, content } = loaded;
    if (content.version !== version) return []; // superseded meanwhile: the newer version sends its own
    const view = quoteEmailView(loaded);
    const sent: string[] = [];
    for (const signer of content.signing.signers.filter((s) => signerIds.includes(s.id))) {
      sent.push(await sendWithLink(quote, signer, kind, keyOf(signer.id), version, view));
    }
    return sent;
  }

  return {
    /** Writes the workflow's view to the quote, its versions and its signatures. The workflow is the only writer. */
    async recordQuoteState(input: RecordQuoteStateInput): Promise<void> {
      await missingIsPermanent(() => recordQuoteState(orm, input));
    },

    /** The acceptance email (first send or revision) to each customer signer named, each with its own link. */
    async sendQuoteEmails({ quoteId, version, kind, signerIds }: { quoteId: string; version: number; kind: 'quote_sent' | 'quote_revised'; signerIds: string[] }): Promise<string[]> {
      return sendToSigners(quoteId, version, signerIds, kind, (signerId) => `${kind}:${quoteId}:${version}:${signerId}`);
    },

    /** A reminder before expiry to each customer signer who has not signed, with a fresh link. */
    async sendQuoteReminder({ quoteId, version, daysBefore, signerIds }: { quoteId: string; version: number; daysBefore: number; signerIds: string[] }): Promise<string[]> {
      return sendToSigners(quoteId, version, signerIds, 'quote_reminder', (signerId) => `quote_reminder:${quoteId}:${version}:${daysBefore}:${signerId}`);
    },

    /** Issues (once) the open invoice for the accepted version's one-time lines (services/quotes/create-quote-invoice.ts). */
    async createQuoteInvoice(input: { quoteId: string; issuedAt: string }): Promise<InvoiceSummary> {
      return summariseInvoice(await missingIsPermanent(() => createQuoteInvoice(orm, numbering, input)));
    },

    /** Starts (once) the instalment plan that splits the one-time total (services/quotes/start-quote-instalment-plan.ts). */
    async startQuoteInstalmentPlan(input: { quoteId: string; firstPaymentDate: string }): Promise<{ planId: string }> {
      return missingIsPermanent(() => startQuoteInstalmentPlan(orm, workflowStarter(), input));
    },

    /**
     * Starts (once) the subscriptions for the recurring lines, from `startDate`
     * (services/quotes/start-quote-subscriptions.ts): one per billing interval, one item per price.
     */
    async startQuoteSubscriptions(input: { quoteId: string; startDate: string; now: string }): Promise<{ subscriptionIds: string[] }> {
      return missingIsPermanent(() => startQuoteSubscriptions(orm, workflowStarter(), input));
    },

    /**
     * Once paid: the confirmation to the customer and to the quote's owner, the welcome email, the
     * internal notification to the account manager, and the onboarding task (one per quote).
     */
    async sendQuoteConfirmations({ quoteId, paidAt }: { quoteId: string; paidAt: string }): Promise<{ emailIds: string[]; onboardingTaskId: string }> {
      const loaded = await missingIsPermanent(() => loadQuoteForEmail(orm, quoteId));
      const { em, quote, customer, content } = loaded;
      const manager = onboardingAssignee(quote, customer);
      const task = await openOnboardingTask(em, { quote, customer, content, paidAt });
      const view = {
        ...quoteEmailView(loaded),
        invoiceId: quote.invoiceId,
        planId: quote.instalmentPlanId,
        subscriptionIds: quote.subscriptionIds,
        subscriptionCount: quote.subscriptionIds.length > 0,
        subscriptionStart: quoteEmailDate(content.payment.subscriptionStartDate ?? paidAt, customer.timeZone),
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
