/**
 * Plain jest functions in place of the billing activities, each answering what the workflow needs,
 * with one log of every call in order: the mocked workflow tests assert the sequence and arguments.
 */
import type { BillingActivities } from '../../activities';

type Answer = (arg: never) => unknown;

export interface MockedActivities {
  activities: Record<string, jest.Mock>;
  /** Every call so far, in order: the activity's name and its (single) argument. */
  calls: { name: keyof BillingActivities; arg: unknown }[];
  /** The names of the calls so far, in order. */
  names: () => string[];
  /** The arguments of every call of one activity, in order. */
  argsOf: (name: keyof BillingActivities) => unknown[];
}

export function mockActivities(answers: Partial<Record<keyof BillingActivities, Answer>>): MockedActivities {
  const calls: MockedActivities['calls'] = [];
  const activities: Record<string, jest.Mock> = {};
  for (const [name, answer] of Object.entries(answers) as [keyof BillingActivities, Answer][]) {
    activities[name] = jest.fn(async (arg: never) => {
      calls.push({ name, arg });
      return answer(arg);
    });
  }
  return {
    activities,
    calls,
    names: () => calls.map((c) => c.name),
    argsOf: (name) => calls.filter((c) => c.name === name).map((c) => c.arg),
  };
}

/** An invoice as the invoicing activities return it. */
export const invoiceSummary = (invoiceId: string, collectionMethod = 'charge_automatically') => ({
  invoiceId,
  number: `TEST-${invoiceId}`,
  status: 'open',
  currency: 'usd',
  total: 100_00,
  amountDue: 100_00,
  collectionMethod,
});
