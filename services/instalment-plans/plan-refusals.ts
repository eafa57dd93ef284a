/**
 * How a plan-creating caller answers a refused request. The services here decide *when* to refuse;
 * the API decides *how* it looks on the wire (status, error type), so it passes its own error helpers
 * (api/errors.ts, api/workflow-errors.ts) and every answer stays exactly what the route gave before.
 */
export interface PlanRefusals {
  /** One request field is wrong (400 naming it). */
  invalidParam(param: string, message: string): Error;
  /** A record named in the request does not exist (400 naming the field). */
  missingReference(param: string, kind: string, id: string): Error;
  /** The request breaks a billing rule (422). */
  unprocessable(param: string | undefined, code: string, message: string): Error;
  /** Not possible in the record's current state (409). */
  conflict(code: string, message: string): Error;
  /** A failed workflow start or update, as the caller answers it (returned, not thrown, like api/workflow-errors.ts). */
  workflowCallError(err: unknown, what: string): unknown;
}
