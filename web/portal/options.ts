/** What the portal's pages are given on top of every page's deps (web/page-deps.ts). */
import type { CancellationMode } from '../../api/cancellation-requests/actions';
import { DEFAULT_RATE_LIMITS } from '../../config';

export interface PortalPageOptions {
  /** PORTAL_REGISTRATION: whether /portal/register takes new customers (otherwise it is a 404 page). */
  registration: boolean;
  /** How cancellation requests are applied (CANCELLATION_REQUESTS), as for the API. */
  cancellationRequests: CancellationMode;
  /** RATE_LIMIT_PORTAL_ACCESS_PER_HOUR: sign-in and registration posts per client IP per hour, per form. */
  accessPerHour: number;
}

/** What the portal runs with when the app is not told otherwise (as buildApp's own defaults). */
export const DEFAULT_PORTAL_PAGE_OPTIONS: PortalPageOptions = {
  registration: true,
  cancellationRequests: 'approval',
  accessPerHour: DEFAULT_RATE_LIMITS.portalAccessPerHour,
};

/** The per-route limit (@fastify/rate-limit `config.rateLimit`) on the forms that send an email, open a session or create a customer. */
export const accessRateLimit = (options: PortalPageOptions) => ({ max: options.accessPerHour, timeWindow: 3_600_000 });
