import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { invoiceCollectionWorkflowId, type InvoiceCollectionInput } from '../../workflows/invoice-collection/contract';
import { CustomerIdAttribute } from '../../workflows/shared/search-attributes';

/**
 * Starts collecting an open invoice: the API at a one-off invoice's finalize, the subscription
 * workflow (through the `startInvoiceCollection` activity) for each period's invoice.
 *
 * The collection is its own workflow, not a child: it outlives a subscription that continues as new
 * or is canceled, and nothing ties the two but the outcome signals. Idempotent: a second call for the
 * same invoice finds the running or finished workflow and does nothing, so a retried request or
 * activity never collects twice.
 */
export async function startInvoiceCollection(temporal: Client, taskQueue: string, input: InvoiceCollectionInput): Promise<void> {
  try {
    await temporal.workflow.start('invoiceCollectionWorkflow', {
      workflowId: invoiceCollectionWorkflowId(input.invoiceId),
      taskQueue,
      args: [input],
      // One collection per invoice, ever: a finished one is not started again.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: CustomerIdAttribute, value: input.customerId }],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw err;
  }
}
