/** What the portal's plugins are given on top of the route deps. */
import type { RouteDeps } from '../route-deps';
import type { CancellationMode } from '../cancellation-requests/actions';

export type PortalDeps = RouteDeps & {
  /** How cancellation requests are applied (CANCELLATION_REQUESTS), as for the staff route. */
  cancellationRequests: CancellationMode;
  /**
   * The customer portal's address; a session's `url` is this with `#token=<token>`. Unset: the
   * API's own origin as the request reached it, followed by `/portal`.
   */
  portalUrl?: string;
};
