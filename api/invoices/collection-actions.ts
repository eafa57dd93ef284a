import { WorkflowNotFoundError } from '@temporalio/client';
import { Invoice } from '../../db/entities';
import { invoiceCollectionWorkflowId, retryNowUpdate } from '../../workflows/invoice-collection/contract';
import { conflict, notFound } from '../errors';
import { workflowCallError } from '../workflow-errors';
import { invoiceWithLines } from './serialization';
import type { RouteDeps } from '../route-deps';



/**
 * Calls on an invoice's collection workflow, behind the staff routes (./actions-routes.ts) and the customer portal's
 * `POST /v1/portal/invoices/:id/pay` (api/portal/routes.ts), which checks first that the invoice is its customer's.
 */
export function invoiceCollectionActions({ orm, updateWorkflow, invoiceLinks }: RouteDeps) {
  async function collectableInvoice(id: string): Promise<Invoice> {
    const invoice = await orm.em.fork().findOne(Invoice, { id });
    if (!invoice) throw notFound('invoice', id);
    if (invoice.status === 'draft') {
      throw conflict('invoice_is_draft', `Invoice ${id} is a draft; finalize it first (POST /v1/invoices/${id}/finalize).`);
    }
    if (invoice.status === 'paid' || invoice.status === 'void') throw conflict('invalid_state_transition', `Invoice ${id} is already ${invoice.status}.`);
    return invoice;
  }

  /**
   * Sends one update to the invoice's collection workflow (`send`, through `updateWorkflow`, which holds the
   * answer deadline) and answers with the invoice as it is now.
   */
  async function act(id: string, what: string, send: (workflowId: string) => Promise<unknown>) {
    const invoice = await collectableInvoice(id);
    try {
      await send(invoiceCollectionWorkflowId(invoice.id));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw conflict('collection_not_running', `Invoice ${id} has no collection in progress, so it cannot be changed this way.`);
      }
      throw workflowCallError(err, `Cannot ${what} invoice ${id}`);
    }
    const em = orm.em.fork();
    return invoiceWithLines(em, await em.findOneOrFail(Invoice, { id }), invoiceLinks);
  }

  /** Charges the invoice now with the customer's saved payment method (the dunning schedule's next retry, taken early). */
  const retryNow = (id: string) => act(id, 'retry the payment of', (wf) => updateWorkflow(wf, retryNowUpdate));

  return { collectableInvoice, act, retryNow };
}
