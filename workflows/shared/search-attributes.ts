/**
 * Custom search attributes registered on the Temporal namespace (the dev server registers them at
 * start, docker-compose with the admin tools). Operators filter on them in the Temporal UI, e.g.
 * `BillingStatus = "past_due" AND NextBillingDate < "2027-01-01T00:00:00Z"`.
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const BillingStatusAttribute = defineSearchAttributeKey('BillingStatus', SearchAttributeType.KEYWORD);
export const NextBillingDateAttribute = defineSearchAttributeKey('NextBillingDate', SearchAttributeType.DATETIME);

/** Name → type, as `temporal operator search-attribute create` and the dev server take them. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: Record<string, 'Keyword' | 'Datetime'> = {
  CustomerId: 'Keyword',
  BillingStatus: 'Keyword',
  NextBillingDate: 'Datetime',
};
