/**
 * The refund workflow's public surface. One short workflow per refund (`refund-<refundId>`): the API
 * starts it right after writing the pending refund and waits briefly for its result.
 */
export const refundWorkflowId = (refundId: string): string => `refund-${refundId}`;

export interface RefundWorkflowInput {
  refundId: string;
  /** The refunded payment; its row lock tells the first activity when the refund is committed. */
  paymentId: string;
}

export interface RefundWorkflowResult {
  refundId: string;
  status: 'succeeded' | 'failed';
  failureReason: string | null;
}
