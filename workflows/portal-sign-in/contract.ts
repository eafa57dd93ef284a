/**
 * The portal sign-in email's public surface. One short workflow per request on the sign-in page
 * (`portal-sign-in-<requestId>`), so the email leaves through the worker's mailer and the outbox like
 * every other email, and the link's token is minted where the email is sent (never in a workflow's
 * history or the outbox).
 */
export const portalSignInWorkflowId = (requestId: string): string => `portal-sign-in-${requestId}`;

export interface PortalSignInInput {
  requestId: string;
  customerId: string;
  /** When the customer asked (ISO): the link expires 15 minutes after it. */
  requestedAt: string;
}
