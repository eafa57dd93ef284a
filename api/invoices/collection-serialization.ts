/** Where an invoice's collection stands, as `GET /v1/invoices/:id/collection` answers it. */
import { type CollectionView } from '../../workflows/invoice-collection/contract';

export const collectionResource = (view: CollectionView) => ({
  object: 'invoice_collection' as const,
  invoice: view.invoiceId,
  stage: view.stage,
  collection_method: view.collectionMethod,
  attempts: view.attempts,
  next_retry_at: view.nextRetryAt,
  grace_days: view.graceDays,
  past_due: view.pastDue,
  last_failure_code: view.lastFailureCode,
});
