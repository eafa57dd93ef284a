/**
 * Every kind of email the outbox holds (`email_outbox.kind`), one template set each in
 * activities/email/templates (`<kind>.subject|text|html.mustache`). The single list: the mailer's
 * type, the API's schema and its OpenAPI description come from here.
 */
export const EMAIL_KINDS = [
  'payment_receipt',
  'payment_failed',
  'payment_failed_final',
  'payment_failed_owner',
  'invoice_sent',
  'invoice_overdue',
  'refund_receipt',
  'instalment_reminder',
  'instalment_reminder_owner',
  'quote_sent',
  'quote_revised',
  'quote_reminder',
  'quote_paid',
  'quote_paid_owner',
  'quote_welcome',
  'quote_onboarding',
  'subscription_trial_ending',
  'subscription_term_renewal',
  'subscription_term_expiry',
  'subscription_term_reminder_owner',
  'checkout_completed',
  'checkout_completed_owner',
  'portal_sign_in',
] as const;

export type EmailKind = (typeof EMAIL_KINDS)[number];
