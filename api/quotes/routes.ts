/**
 * `/v1/quotes`: sales quotes from draft to cash. The API validates and prices each version (catalog
 * prices, coupons and tax rates; totals through domain/pricing.ts), hashes it, and writes the quote
 * once (services/quotes/); its workflow (`quote-<id>`) owns it from then on: every change (draft edits,
 * send, approval, revision, void, signatures) is an update on that workflow, validated there, and the
 * answer is read back from the records it writes. The customer's side (view, sign, decline behind an
 * acceptance link) is api/quotes/public-routes.ts; `/v1/onboarding-tasks`, which paid quotes leave behind, is
 * api/quotes/onboarding-tasks-routes.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Quote, QuoteVersion } from '../../db/entities';
import { FINAL_STAGES } from '../../domain/quote';
import { QuoteNotStarted, createQuote } from '../../services/quotes/create-quote';
import { draftWithLineAdded, draftWithLineRemoved, nextQuoteVersion } from '../../services/quotes/next-quote-version';
import { previewQuote } from '../../services/quotes/preview-quote';
import type { QuoteContentChanges } from '../../services/quotes/quote-input';
import {
  approveQuoteUpdate,
  rejectQuoteUpdate,
  reviseQuoteUpdate,
  sendQuoteUpdate,
  signQuoteUpdate,
  updateQuoteDraftUpdate,
  voidQuoteUpdate,
  type QuoteVersionInput,
} from '../../workflows/quote/contract';
import type { QuoteConfig } from '../../config';
import { ApiError, ErrorSchema, conflict, notFound } from '../errors';
import { IdParams, ListQuery, cursorFilter, definedOnly, listOf } from '../schemas';
import { workflowCallError } from '../workflow-errors';
import { actor, userAgentOf } from './callers';
import { CreateQuote, LineInput, LineParams, QuotePreview, QuoteResource, QuoteStage, ReasonBody, RejectBody, ReviseQuote, SignBody, UpdateQuote } from './schemas';
import { loadQuoteRecords, quotePreviewResource, quoteResource } from './serialization';
import { ADMIN_AND_SALES, ADMIN_ONLY, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';
import { PendingChangeResource } from '../workflow-changes';

/** Quotes' approval threshold and reminders (QUOTE_APPROVAL_DISCOUNT_PERCENT, QUOTE_REMINDER_DAYS). */
export type QuoteRoutesOptions = RouteDeps & { quotes: QuoteConfig };

export const quotesRoutes: FastifyPluginAsyncTypebox<QuoteRoutesOptions> = async (app, { orm, temporal, taskQueue, withinDeadline, updateWorkflow, quotes: config }) => {
  const read = { roles: STAFF };
  const write = { roles: ADMIN_AND_SALES };
  const admin = { roles: ADMIN_ONLY };
  const callerKeyId = (request: FastifyRequest): string | null => request.apiKey?.id ?? null;

  async function load(id: string) {
    const em = orm.em.fork();
    const quote = await em.findOne(Quote, { id });
    if (!quote) throw notFound('quote', id);
    return quoteResource((await loadQuoteRecords(em, [quote]))[0]!);
  }

  app.post(
    '/quotes/preview',
    {
      config: read,
      schema: {
        tags: ['quotes'],
        summary: 'Price a quote without creating anything',
        description: 'Takes the same body as creating a quote and answers its totals and whether it needs approval.',
        body: CreateQuote,
        response: { 200: QuotePreview, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { content, version } = await previewQuote(orm.em.fork(), { request: request.body, config, callerKeyId: callerKeyId(request) });
      return quotePreviewResource(content, version);
    },
  );

  app.post(
    '/quotes',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: 'Create a draft quote and start its workflow',
        description:
          'For an existing customer, or a new one from contact (created with the quote). Lines come from catalog prices (one-time or recurring) ' +
          'or free text (one-time). Discounts, fees and tax rates apply to the one-time lines; tax rates also to the subscriptions started for recurring lines.',
        body: CreateQuote,
        response: { 200: QuoteResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      let id: string;
      try {
        id = await createQuote({ orm, temporal, taskQueue, config, withinDeadline, log: request.log }, { request: request.body, callerKeyId: callerKeyId(request) });
      } catch (err) {
        if (err instanceof QuoteNotStarted) throw workflowCallError(err.startError, `Cannot start quote ${err.quoteId}`);
        throw err;
      }
      return load(id);
    },
  );

  app.get(
    '/quotes',
    {
      config: read,
      schema: {
        tags: ['quotes'],
        summary: 'List quotes, newest first',
        querystring: Type.Object(
          {
            ...ListQuery,
            stage: Type.Optional(QuoteStage),
            owner: Type.Optional(Type.String({ maxLength: 254, description: "The owner's email" })),
            customer: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(QuoteResource, 'Quote'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { stage, owner, customer, starting_after } = request.query;
      const limit = request.query.limit ?? 10;
      const em = orm.em.fork();
      const where = definedOnly({ stage, ownerEmail: owner?.toLowerCase(), customerId: customer });
      const rows = await em.find(Quote, { $and: [where, await cursorFilter(em, Quote, starting_after)] }, { orderBy: { id: 'desc' }, limit: limit + 1 });
      const page = await loadQuoteRecords(em, rows.slice(0, limit));
      return { object: 'list' as const, data: page.map(quoteResource), has_more: rows.length > limit };
    },
  );

  app.get(
    '/quotes/:id',
    { config: read, schema: { tags: ['quotes'], summary: 'Retrieve a quote', params: IdParams, response: { 200: QuoteResource, '4xx': ErrorSchema } } },
    async (request) => load(request.params.id),
  );

  /**
   * A change goes to the quote's workflow, which owns it; the answer is read back from the database.
   * `send` sends the update through `updateWorkflow`, which waits no longer than the answer deadline.
   */
  async function change(id: string, what: string, send: (quote: Quote, current: QuoteVersion) => Promise<unknown>) {
    const em = orm.em.fork();
    const quote = await em.findOne(Quote, { id });
    if (!quote) throw notFound('quote', id);
    // Its workflow may have ended: answer as the workflow's own rule would.
    if (FINAL_STAGES.includes(quote.stage)) {
      throw conflict(quote.stage === 'expired' ? 'quote_expired' : 'quote_closed', `Quote ${id} is ${quote.stage}.`);
    }
    const current = await em.findOneOrFail(QuoteVersion, { quoteId: id, version: quote.version });
    try {
      await send(quote, current);
    } catch (err) {
      throw workflowCallError(err, `Cannot ${what} quote ${id}`);
    }
    return load(id);
  }

  /** Draft edits are checked against the stage here too, so a sent quote answers 409 before any pricing. */
  const requireDraft = (quote: Quote) => {
    if (quote.stage !== 'draft') throw conflict('quote_not_draft', `Only a draft can be edited (quote ${quote.id} is ${quote.stage}); revise it instead.`);
  };

  const updateDraft = (request: FastifyRequest, quote: Quote, current: QuoteVersion, version: QuoteVersionInput) =>
    updateWorkflow(quote.workflowId, updateQuoteDraftUpdate, [{ baseHash: current.contentHash, version, by: actor(request) }]);

  const editDraft = (id: string, what: string, changes: QuoteContentChanges, request: FastifyRequest) =>
    change(id, what, async (quote, current) => {
      requireDraft(quote);
      const version = await nextQuoteVersion(orm.em.fork(), { quote, current, config, changes, versionNumber: current.content.version, callerKeyId: callerKeyId(request) });
      return updateDraft(request, quote, current, version);
    });

  app.post(
    '/quotes/:id',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: 'Update a draft quote',
        description: 'Only a draft; each field given replaces its own (lines replace every line). A sent quote is revised instead.',
        params: IdParams,
        body: UpdateQuote,
        response: { 200: QuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => editDraft(request.params.id, 'update', request.body, request),
  );

  app.post(
    '/quotes/:id/lines',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: "Add a line to a draft quote",
        params: IdParams,
        body: LineInput,
        response: { 200: QuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'add a line to', async (quote, current) => {
        requireDraft(quote);
        const version = await draftWithLineAdded(orm.em.fork(), { quote, current, config, line: request.body });
        return updateDraft(request, quote, current, version);
      }),
  );

  app.delete(
    '/quotes/:id/lines/:line_id',
    {
      config: write,
      schema: { tags: ['quotes'], summary: 'Remove a line from a draft quote', params: LineParams, response: { 200: QuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema } },
    },
    async (request) =>
      change(request.params.id, 'remove a line from', async (quote, current) => {
        requireDraft(quote);
        if (!current.content.lines.some((l) => l.id === request.params.line_id)) throw notFound('quote line', request.params.line_id);
        const version = await draftWithLineRemoved(orm.em.fork(), { quote, current, config, lineId: request.params.line_id });
        return updateDraft(request, quote, current, version);
      }),
  );

  app.post(
    '/quotes/:id/send',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: 'Send a draft to its customer signers',
        description: 'Each customer signer is emailed an acceptance link. Above the discount threshold the quote waits for an admin to approve it first.',
        params: IdParams,
        response: { 200: QuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => change(request.params.id, 'send', (quote) => updateWorkflow(quote.workflowId, sendQuoteUpdate, [{ by: actor(request) }])),
  );

  app.post(
    '/quotes/:id/approve',
    {
      config: admin,
      schema: { tags: ['quotes'], summary: 'Approve a quote whose discount is above the threshold; it is sent', params: IdParams, response: { 200: QuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema } },
    },
    async (request) => change(request.params.id, 'approve', (quote) => updateWorkflow(quote.workflowId, approveQuoteUpdate, [{ by: actor(request) }])),
  );

  app.post(
    '/quotes/:id/reject',
    {
      config: admin,
      schema: {
        tags: ['quotes'],
        summary: 'Refuse the approval; the quote goes back to draft',
        params: IdParams,
        body: RejectBody,
        response: { 200: QuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'reject', (quote) =>
        updateWorkflow(quote.workflowId, rejectQuoteUpdate, [{ by: actor(request), reason: request.body.reason }]),
      ),
  );

  app.post(
    '/quotes/:id/revise',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: 'Revise a sent quote: a new version supersedes the current one',
        description:
          'Same fields as updating a draft. The new version gets the next number and a new content_hash; signatures of the old version no longer count. ' +
          'It is approved again if its discount needs it, and re-sent to the customer signers.',
        params: IdParams,
        body: ReviseQuote,
        response: { 200: QuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'revise', async (quote, current) => {
        if (!['pending_approval', 'sent', 'signing'].includes(quote.stage)) {
          throw conflict('quote_not_revisable', `Only a sent quote can be revised (quote ${quote.id} is ${quote.stage}).`);
        }
        const { reason, ...changes } = request.body;
        const version = await nextQuoteVersion(orm.em.fork(), { quote, current, config, changes, versionNumber: current.content.version + 1, callerKeyId: callerKeyId(request) });
        return updateWorkflow(quote.workflowId, reviseQuoteUpdate, [{ baseHash: current.contentHash, version, by: actor(request), reason: reason ?? null }]);
      }),
  );

  app.post(
    '/quotes/:id/void',
    {
      config: write,
      schema: { tags: ['quotes'], summary: 'Void a quote that is not accepted yet', params: IdParams, body: ReasonBody, response: { 200: QuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema } },
    },
    async (request) =>
      change(request.params.id, 'void', (quote) =>
        updateWorkflow(quote.workflowId, voidQuoteUpdate, [{ by: actor(request), reason: request.body?.reason ?? null }]),
      ),
  );

  app.post(
    '/quotes/:id/countersign',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: 'Countersign as the internal signer bound to the calling API key',
        description:
          'The signer is the internal signer of the current version bound to this API key (signers[].api_key); the body names no one. ' +
          'A key bound to no internal signer of the quote is a 403. content_hash is the version signed. Records the key, IP and user agent.',
        params: IdParams,
        body: SignBody,
        response: { 200: QuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'countersign', (quote, current) => {
        const keyId = request.apiKey?.id ?? null;
        const signer = current.content.signing.signers.find((s) => s.kind === 'internal' && keyId !== null && s.apiKeyId === keyId);
        if (!signer) throw new ApiError(403, 'permission_error', 'not_a_signer', `This API key is not an internal signer of quote ${quote.id}.`);
        return updateWorkflow(quote.workflowId, signQuoteUpdate, [{ signerId: signer.id, linkId: null, linkVersion: null, apiKeyId: keyId, ip: request.ip, userAgent: userAgentOf(request), contentHash: request.body.content_hash }]);
      }),
  );
};
