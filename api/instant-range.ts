/** `field[gte]` / `field[lte]` list filters on an instant, Stripe's bracket syntax (as `GET /v1/invoices` has them). */
import { invalidParam } from './errors';

/** A date-time the schema accepted but JavaScript cannot represent (a leap second, say) is a 400 naming it, never a 500. */
export function instantParam(param: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw invalidParam(param, `${param} is not a valid ISO 8601 instant.`);
  return date;
}

/** A MikroORM condition for `field[gte]` and `field[lte]` (both inclusive), or undefined when neither is given. */
export function instantRange(field: string, gte: string | undefined, lte: string | undefined): { $gte?: Date; $lte?: Date } | undefined {
  if (gte === undefined && lte === undefined) return undefined;
  return {
    ...(gte === undefined ? {} : { $gte: instantParam(`${field}[gte]`, gte) }),
    ...(lte === undefined ? {} : { $lte: instantParam(`${field}[lte]`, lte) }),
  };
}
