/**
 * What operators (and sales, for sending) do to an invoice being collected: email it, record an
 * offline payment, void it, write it off, and steer the dunning schedule. An open invoice's
 * collection workflow (`invoice-<id>`) owns its state, so each action is an update on that workflow:
 * its validator rejects what the invoice's state does not allow (409) before anything is written.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Invoice } from '../../db/entities';
import { emailInvoiceUpdate, extendGraceUpdate, getCollectionQuery, invoiceCollectionWorkflowId, markUncollectibleUpdate, recordOfflinePaymentUpdate, retryNowUpdate, skipRetryUpdate, voidInvoiceUpdate } from '../../workflows/invoice-collection/contract';
import type { invoiceCollectionWorkflow } from '../../workflows/invoice-collection/workflow';
import { ErrorSchema, conflict, invalidParam, notFound } from '../errors';
import { IdParams, iso } from '../schemas';
import { workflowCallError } from '../workflow-errors';
import { InvoiceResource } from './schemas';
import { CollectionResource, MarkPaidBody, ExtendGraceBody } from './collection-schemas';
import { collectionResource } from './collection-serialization';
import { invoiceCollectionActions } from './collection-actions';
import type { RouteDeps } from '../route-deps';
import { ADMIN_AND_OPERATOR, STAFF } from '../roles';
import type { ApiKeyRole } from '../../db/entities';
import { PendingChangeResource } from '../workflow-changes';

export const invoiceActionsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const { orm, temporal, withinDeadline, updateWorkflow } = deps;
  const { collectableInvoice, act } = invoiceCollectionActions(deps);
  const operate = { roles: ADMIN_AND_OPERATOR };
  const everyone = { roles: STAFF };

  const action = (
    path: string,
    summary: string,
    description: string,
    what: string,
    send: (workflowId: string) => Promise<unknown>,
    config: { roles: readonly ApiKeyRole[] } = operate,
  ) =>
    app.post(
      `/invoices/:id/${path}`,
      { config, schema: { tags: ['invoices'], summary, description, params: IdParams, response: { 200: InvoiceResource, 202: PendingChangeResource, '4xx': ErrorSchema } } },
      async (request) => act(request.params.id, what, send),
    );

  action(
    'send',
    'Email the invoice to the customer',
    'Sends the invoice email now (again, for an invoice already emailed). Finalizing a send_invoice invoice emails it the first time.',
    'send',
    (wf) => updateWorkflow(wf, emailInvoiceUpdate),
    everyone,
  );
  action(
    'void',
    'Void an open or uncollectible invoice',
    'Nothing is owed any more and collection stops. An invoice with money received on it cannot be voided: refund first.',
    'void',
    (wf) => updateWorkflow(wf, voidInvoiceUpdate),
  );
  action(
    'mark-uncollectible',
    'Write an invoice off',
    'Stops charging and dunning. The invoice can still be paid (mark-paid, or a payment at the gateway) or voided.',
    'mark uncollectible',
    (wf) => updateWorkflow(wf, markUncollectibleUpdate),
  );
  action(
    'retry-payment',
    'Charge the invoice now',
    'An extra attempt with the saved payment method: for autopay, outside the schedule (or after it ended), using up the next ' +
      'scheduled retry; for an emailed invoice, one charge instead of a transfer (a decline leaves it emailed and open).',
    'retry the payment of',
    (wf) => updateWorkflow(wf, retryNowUpdate),
  );
  action(
    'skip-retry',
    'Skip the next scheduled retry',
    'The schedule moves on to the retry after it; skipping the last one ends dunning as the policy says.',
    'skip the retry of',
    (wf) => updateWorkflow(wf, skipRetryUpdate),
  );

  app.post(
    '/invoices/:id/extend-grace',
    {
      config: operate,
      schema: {
        tags: ['invoices'],
        summary: 'Give the customer more time before the next retries',
        params: IdParams,
        body: ExtendGraceBody,
        response: { 200: InvoiceResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => act(request.params.id, 'extend the grace period of', (wf) => updateWorkflow(wf, extendGraceUpdate, [{ days: request.body.days }])),
  );

  app.post(
    '/invoices/:id/mark-paid',
    {
      config: operate,
      schema: {
        tags: ['invoices'],
        summary: 'Record a payment received outside the gateway',
        description:
          'Check, bank transfer, cash or other. A partial amount leaves the rest open; the last one marks the invoice paid. ' +
          'With an Idempotency-Key, repeating the request records the payment once.',
        params: IdParams,
        body: MarkPaidBody,
        response: { 200: InvoiceResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const invoice = await collectableInvoice(request.params.id);
      const paidAt = body.paid_at ? new Date(body.paid_at) : new Date();
      if (paidAt.getTime() > Date.now() + 5 * 60_000) throw invalidParam('paid_at', 'paid_at cannot be in the future.');
      const amount = body.amount ?? invoice.amountDue;
      if (amount > invoice.amountDue) throw invalidParam('amount', `amount ${amount} is more than the ${invoice.amountDue} due.`);
      const key = request.headers['idempotency-key'];
      const requestKey = typeof key === 'string' && key !== '' ? key : randomUUID();
      return act(invoice.id, 'record a payment on', (wf) =>
        updateWorkflow(wf, recordOfflinePaymentUpdate, [
          {
            amount,
            method: body.method,
            paidAt: iso(paidAt)!,
            reference: body.reference ?? null,
            sendReceipt: body.send_receipt ?? false,
            requestKey,
          },
        ]),
      );
    },
  );

  app.get(
    '/invoices/:id/collection',
    {
      config: everyone,
      schema: {
        tags: ['invoices'],
        summary: 'Where collection of the invoice stands',
        description: 'Attempts, the next retry and grace, read from the invoice collection workflow.',
        params: IdParams,
        response: { 200: CollectionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const id = request.params.id;
      const invoice = await orm.em.fork().findOne(Invoice, { id });
      if (!invoice) throw notFound('invoice', id);
      if (invoice.status === 'draft') throw conflict('invoice_is_draft', `Invoice ${id} is a draft; nothing is being collected.`);
      try {
        const view = await withinDeadline(() =>
          temporal.workflow.getHandle<typeof invoiceCollectionWorkflow>(invoiceCollectionWorkflowId(id)).query(getCollectionQuery),
        );
        return collectionResource(view);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound('invoice collection', id);
        throw workflowCallError(err, `Cannot read the collection of invoice ${id}`);
      }
    },
  );
};
