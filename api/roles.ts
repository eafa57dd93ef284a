/**
 * Who may call a route: the role sets routes declare as `config.roles` (api/plugins/auth.ts checks
 * every route has one). Named by who they admit, so a route's rule reads as its audience.
 */
import type { ApiKeyRole } from '../db/entities';

/** Every staff role: reading, and what sales and operators both do. */
export const STAFF: readonly ApiKeyRole[] = Object.freeze(['admin', 'operator', 'sales'] as const);
/** Operations on running billing: pause, resume, cancel, collect, refund. */
export const ADMIN_AND_OPERATOR: readonly ApiKeyRole[] = Object.freeze(['admin', 'operator'] as const);
/** Selling: customers' subscriptions, invoices and quotes. */
export const ADMIN_AND_SALES: readonly ApiKeyRole[] = Object.freeze(['admin', 'sales'] as const);
/** Configuration: the catalog, API keys, the company profile. */
export const ADMIN_ONLY: readonly ApiKeyRole[] = Object.freeze(['admin'] as const);
