import { Migration20261122000000_initial } from './Migration20261122000000_initial';
import { Migration20261122100000_invoicing } from './Migration20261122100000_invoicing';
import { Migration20261122110000_collection } from './Migration20261122110000_collection';
import { Migration20261122120000_company_profile } from './Migration20261122120000_company_profile';
import { Migration20261122130000_refunds } from './Migration20261122130000_refunds';
import { Migration20261122140000_webhook_events } from './Migration20261122140000_webhook_events';
import { Migration20261122150000_coupons_tax_rates } from './Migration20261122150000_coupons_tax_rates';
import { Migration20261122160000_instalment_plans } from './Migration20261122160000_instalment_plans';
import { Migration20261122170000_plan_changes } from './Migration20261122170000_plan_changes';
import { Migration20261122180000_subscription_items } from './Migration20261122180000_subscription_items';
import { Migration20261122190000_subscription_terms } from './Migration20261122190000_subscription_terms';
import { Migration20261122200000_quotes } from './Migration20261122200000_quotes';
import { Migration20261122210000_portal_sessions } from './Migration20261122210000_portal_sessions';
import { Migration20261202100000_rate_limits } from './Migration20261202100000_rate_limits';
import { Migration20261202110000_portal_session_roles } from './Migration20261202110000_portal_session_roles';
import { Migration20261202120000_quote_signer_links } from './Migration20261202120000_quote_signer_links';
import { Migration20261202130000_workflow_change_leases } from './Migration20261202130000_workflow_change_leases';
import { Migration20261202150000_portal_sign_in } from './Migration20261202150000_portal_sign_in';
import { Migration20261202143000_autopay_consents } from './Migration20261202143000_autopay_consents';
import { Migration20261202151000_payment_links } from './Migration20261202151000_payment_links';

/** Every migration, in order. Listed explicitly so the compiled build and tsx runs find the same set. */
export const migrationsList = [
  { name: 'Migration20261122000000_initial', class: Migration20261122000000_initial },
  { name: 'Migration20261122100000_invoicing', class: Migration20261122100000_invoicing },
  { name: 'Migration20261122110000_collection', class: Migration20261122110000_collection },
  { name: 'Migration20261122120000_company_profile', class: Migration20261122120000_company_profile },
  { name: 'Migration20261122130000_refunds', class: Migration20261122130000_refunds },
  { name: 'Migration20261122140000_webhook_events', class: Migration20261122140000_webhook_events },
  { name: 'Migration20261122150000_coupons_tax_rates', class: Migration20261122150000_coupons_tax_rates },
  { name: 'Migration20261122160000_instalment_plans', class: Migration20261122160000_instalment_plans },
  { name: 'Migration20261122170000_plan_changes', class: Migration20261122170000_plan_changes },
  { name: 'Migration20261122180000_subscription_items', class: Migration20261122180000_subscription_items },
  { name: 'Migration20261122190000_subscription_terms', class: Migration20261122190000_subscription_terms },
  { name: 'Migration20261122200000_quotes', class: Migration20261122200000_quotes },
  { name: 'Migration20261122210000_portal_sessions', class: Migration20261122210000_portal_sessions },
  { name: 'Migration20261202100000_rate_limits', class: Migration20261202100000_rate_limits },
  { name: 'Migration20261202110000_portal_session_roles', class: Migration20261202110000_portal_session_roles },
  { name: 'Migration20261202120000_quote_signer_links', class: Migration20261202120000_quote_signer_links },
  { name: 'Migration20261202130000_workflow_change_leases', class: Migration20261202130000_workflow_change_leases },
  { name: 'Migration20261202143000_autopay_consents', class: Migration20261202143000_autopay_consents },
  { name: 'Migration20261202150000_portal_sign_in', class: Migration20261202150000_portal_sign_in },
  { name: 'Migration20261202151000_payment_links', class: Migration20261202151000_payment_links },
];
