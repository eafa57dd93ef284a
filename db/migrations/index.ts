import { Migration20261122000000_initial } from './Migration20261122000000_initial';
import { Migration20261122100000_invoicing } from './Migration20261122100000_invoicing';
import { Migration20261122110000_collection } from './Migration20261122110000_collection';
import { Migration20261122120000_company_profile } from './Migration20261122120000_company_profile';
import { Migration20261122130000_refunds } from './Migration20261122130000_refunds';
import { Migration20261122140000_webhook_events } from './Migration20261122140000_webhook_events';
import { Migration20261122150000_coupons_tax_rates } from './Migration20261122150000_coupons_tax_rates';
import { Migration20261122160000_instalment_plans } from './Migration20261122160000_instalment_plans';
import { Migration20261122170000_plan_changes } from './Migration20261122170000_plan_changes';

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
];
