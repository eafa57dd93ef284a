import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';

export interface PortalRoutesOptions {
  orm: MikroORM;
  temporal: Client;
  /** How cancellation requests are applied (CANCELLATION_REQUESTS), as for the staff route. */
  cancellationRequests: 'approval' | 'immediate';
  workflowAnswerTimeoutMs: number;
  /**
   * The customer portal's address; a session's `url` is this with `#token=<token>`. Unset: the
   * API's own origin as the request reached it, followed by `/portal`.
   */
  portalUrl?: string;
}
