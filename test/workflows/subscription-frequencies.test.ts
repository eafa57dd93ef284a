/**
 * Every billing frequency, on Temporal's time-skipping test server with the real activities,
 * PostgreSQL, the sandbox gateway and the outbox mailer: years of billing pass in seconds.
 *
 * The expected billing calendar is computed here, independently of domain/calendar.ts: plain
 * calendar arithmetic on the anchor's local date (months clamp to the target month's last day), then
 * luxon only to turn that local midnight into an instant in the customer's time zone.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { DateTime } from 'luxon';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Email, Invoice, InvoiceLine, Payment, Subscription } from '../../db/entities';
import type { Customer, Price } from '../../db/entities';
import { subscriptionWorkflow } from '../../workflows/subscription/workflow';
import { cancelUpdate, getSubscriptionQuery, subscriptionWorkflowId } from '../../workflows/subscription/contract';
import type { invoiceCollectionWorkflow } from '../../workflows/invoice-collection/workflow';
import {
  getCollectionQuery,
  invoiceCollectionWorkflowId,
  paymentEventSignal,
  recordOfflinePaymentUpdate,
} from '../../workflows/invoice-collection/contract';
import { NAMED_FREQUENCIES, type BillingInterval, type NamedFrequency } from '../../domain/frequency';
import { requireEnv } from '../support/env';
import { eventually } from '../support/eventually';
import { testBillingWorker } from '../support/billing-worker';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../support/fixtures';

const TASK_QUEUE = 'subscription-frequencies-test';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Activities run in real time on 2 shared cores: give a burst of billed periods room to finish. */
const SLOW = { timeoutMs: 60_000 };
/**
 * The time-skipping test server ends every workflow chain 3650 days after it started (timed out), even
 * when the start asks for a longer execution timeout; a real server sets no limit. A row whose periods
 * reach further starts from a past anchor, and skips what lies beyond.
 */
const TEST_SERVER_LIFETIME_MS = 3650 * DAY;

let orm: MikroORM;

beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});

afterAll(async () => {
  await orm?.close(true);
});

// ---------------------------------------------------------------------------------------------
// Test servers
// ---------------------------------------------------------------------------------------------

interface Server {
  env: TestWorkflowEnvironment;
  worker: Worker;
  run: Promise<void>;
}

/**
 * A time-skipping server with the billing worker, for a whole describe block (`beforeAll`) or for
 * each test (`beforeEach`): a test that needs the clock near real time (an anchor in 2028) must not
 * share a server whose clock earlier tests moved decades ahead.
 */
function useServer(before: typeof beforeAll, after: typeof afterAll): () => Server {
  let server: Server | undefined;
  before(async () => {
    const env = await createTimeSkippingEnv();
    const worker = await testBillingWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, orm });
    server = { env, worker, run: worker.run() };
  });
  after(async () => {
    if (!server) return;
    server.worker.shutdown();
    await server.run;
    await server.env.teardown();
    server = undefined;
  });
  return () => {
    if (!server) throw new Error('no test server: called outside a test');
    return server;
  };
}

// ---------------------------------------------------------------------------------------------
// The independent calendar oracle
// ---------------------------------------------------------------------------------------------

/** A local calendar date; the anchor is that date's midnight in the customer's zone. */
interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** The local date period n starts on: anchor + n × interval, months and years clamped to the month's end. */
function expectedLocalDate(anchor: LocalDate, interval: BillingInterval, n: number): LocalDate {
  const steps = interval.count * n;
  switch (interval.unit) {
    case 'day':
    case 'week': {
      const date = new Date(Date.UTC(anchor.year, anchor.month - 1, anchor.day + (interval.unit === 'week' ? 7 * steps : steps)));
      return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
    }
    case 'month': {
      const monthIndex = anchor.month - 1 + steps;
      const year = anchor.year + Math.floor(monthIndex / 12);
      const month = (monthIndex % 12) + 1;
      return { year, month, day: Math.min(anchor.day, daysInMonth(year, month)) };
    }
    case 'year': {
      const year = anchor.year + steps;
      return { year, month: anchor.month, day: Math.min(anchor.day, daysInMonth(year, anchor.month)) };
    }
  }
}

/** Local midnight of `date` in `zone`, as an instant. */
function localMidnight(date: LocalDate, zone: string): DateTime {
  const instant = DateTime.fromObject({ ...date, hour: 0, minute: 0, second: 0, millisecond: 0 }, { zone });
  if (!instant.isValid || instant.hour !== 0) throw new Error(`no local midnight on ${JSON.stringify(date)} in ${zone}`);
  return instant;
}

/** When period n starts, by the oracle. */
const expectedStart = (anchor: LocalDate, zone: string, interval: BillingInterval, n: number): DateTime =>
  localMidnight(expectedLocalDate(anchor, interval, n), zone);

const isoDate = (d: LocalDate): string => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

/** The local date after `afterMs` in `zone` (tomorrow there): a start a few hours ahead. */
function tomorrow(zone: string, afterMs: number): LocalDate {
  const next = DateTime.fromMillis(afterMs, { zone }).startOf('day').plus({ days: 1 });
  return { year: next.year, month: next.month, day: next.day };
}

/** The local date `days` before today in `zone`: a start already passed. */
function daysAgo(zone: string, nowMs: number, days: number): LocalDate {
  const date = DateTime.fromMillis(nowMs, { zone }).startOf('day').minus({ days });
  return { year: date.year, month: date.month, day: date.day };
}

function fail(message: string): never {
  throw new Error(message);
}

/**
 * A local date `leadDays` before the zone's next UTC-offset change (DST) after `afterMs`, so that the
 * first billed periods straddle it. Null when the zone has no change within two years.
 */
function dateBeforeOffsetChange(zone: string, afterMs: number, leadDays: number): LocalDate | null {
  let day = DateTime.fromMillis(afterMs, { zone }).startOf('day');
  for (let i = 0; i < 2 * 366; i += 1) {
    const next = day.plus({ days: 1 });
    if (next.set({ hour: 12 }).offset !== day.set({ hour: 12 }).offset) {
      const anchor = next.minus({ days: leadDays });
      if (anchor.toMillis() > afterMs + HOUR) return { year: anchor.year, month: anchor.month, day: anchor.day };
    }
    day = next;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Reads and the subscription starter
// ---------------------------------------------------------------------------------------------

const invoicesOf = (subscriptionId: string) =>
  orm.em.fork().find(Invoice, { subscriptionId }, { orderBy: { periodIndex: 'asc' } });
const linesOf = (invoiceId: string) => orm.em.fork().find(InvoiceLine, { invoiceId }, { orderBy: { position: 'asc' } });
const paymentsOf = (customerId: string) => orm.em.fork().find(Payment, { customerId }, { orderBy: { createdAt: 'asc' } });
const emailsOf = (customerId: string) => orm.em.fork().find(Email, { customerId }, { orderBy: { createdAt: 'asc' } });
const subscriptionRow = (id: string) => orm.em.fork().findOneOrFail(Subscription, { id });
const periodIndexes = async (subscriptionId: string) => (await invoicesOf(subscriptionId)).map((i) => i.periodIndex);
const upTo = (last: number) => Array.from({ length: last + 1 }, (_, i) => i);

interface Started {
  handle: WorkflowHandle<typeof subscriptionWorkflow>;
  subscriptionId: string;
  customer: Customer;
  price: Price;
}

async function startSubscription(
  server: Server,
  opts: {
    anchor: Date;
    timeZone: string;
    interval: BillingInterval;
    unitAmount: number;
    quantity: number;
    collectionMethod?: 'charge_automatically' | 'send_invoice';
    paymentMethod?: string | null;
  },
): Promise<Started> {
  const customer = await createCustomer(orm, {
    timeZone: opts.timeZone,
    defaultPaymentMethod: opts.paymentMethod === undefined ? 'pm_card_visa' : opts.paymentMethod,
  });
  const price = await createRecurringPrice(orm, { unit: opts.interval.unit, count: opts.interval.count, unitAmount: opts.unitAmount });
  const subscription = await createSubscriptionRecord(orm, customer, price, {
    anchor: opts.anchor,
    quantity: opts.quantity,
    collectionMethod: opts.collectionMethod,
  });
  const handle = await server.env.client.workflow.start(subscriptionWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: subscriptionWorkflowId(subscription.id),
    args: [
      {
        subscriptionId: subscription.id,
        customerId: customer.id,
        billingAnchor: opts.anchor.toISOString(),
        timeZone: customer.timeZone,
        interval: opts.interval,
      },
    ],
  });
  return { handle, subscriptionId: subscription.id, customer, price };
}

/** Skips the server's clock to `instant` (workflow time); the activities it wakes run in real time. */
async function advanceTo(server: Server, instant: DateTime | number): Promise<void> {
  const target = typeof instant === 'number' ? instant : instant.toMillis();
  const remaining = target - (await server.env.currentTimeMs());
  if (remaining > 0) await server.env.sleep(remaining);
}

/** Waits until the workflow has billed period `index` and recorded that it now waits for `nextStart`. */
async function periodRecorded(subscriptionId: string, index: number, nextStart: DateTime, options = SLOW): Promise<Subscription> {
  return eventually(async () => {
    const row = await subscriptionRow(subscriptionId);
    expect(row.currentPeriodIndex).toBe(index);
    expect(row.nextBillingDate?.getTime()).toBe(nextStart.toMillis());
    return row;
  }, options);
}

// ---------------------------------------------------------------------------------------------
// 1. Every frequency, three billed periods each
// ---------------------------------------------------------------------------------------------

interface FrequencyCase {
  name: string;
  interval: BillingInterval;
  timeZone: string;
  /**
   * Where the anchor (a local midnight) is: `dstLeadDays` before the zone's next DST change, so the
   * periods straddle it; `tomorrow`, a start a few hours ahead; `daysAgo`, a start already passed, so
   * period 0 is billed at once (the only way to bill 10 years within the test server's lifetime).
   */
  anchor: { dstLeadDays: number } | 'tomorrow' | { daysAgo: number };
  unitAmount: number;
  quantity: number;
}

type RecurringFrequency = Exclude<NamedFrequency, 'one_time'>;

/** Settings per named frequency; the type makes this list every named frequency there is. */
const NAMED_SETTINGS: Record<RecurringFrequency, Omit<FrequencyCase, 'name' | 'interval'>> = {
  weekly: { timeZone: 'Europe/Paris', anchor: { dstLeadDays: 10 }, unitAmount: 1500, quantity: 1 },
  biweekly: { timeZone: 'America/New_York', anchor: { dstLeadDays: 20 }, unitAmount: 2999, quantity: 2 },
  monthly: { timeZone: 'Europe/Paris', anchor: { dstLeadDays: 45 }, unitAmount: 2500, quantity: 3 },
  quarterly: { timeZone: 'America/New_York', anchor: { dstLeadDays: 100 }, unitAmount: 7000, quantity: 1 },
  semiannually: { timeZone: 'Europe/Paris', anchor: { dstLeadDays: 30 }, unitAmount: 12_345, quantity: 2 },
  yearly: { timeZone: 'Asia/Tokyo', anchor: 'tomorrow', unitAmount: 24_000, quantity: 1 },
  every_2_years: { timeZone: 'UTC', anchor: 'tomorrow', unitAmount: 40_000, quantity: 5 },
  every_3_years: { timeZone: 'America/New_York', anchor: 'tomorrow', unitAmount: 60_001, quantity: 1 },
  every_4_years: { timeZone: 'Europe/Paris', anchor: 'tomorrow', unitAmount: 75_000, quantity: 2 },
  // Period 2 is 10 calendar years (3652 or 3653 days) after the anchor: more than the test server lets a workflow live.
  every_5_years: { timeZone: 'Australia/Sydney', anchor: { daysAgo: 7 }, unitAmount: 99_999, quantity: 1 },
};

const NAMED_CASES: FrequencyCase[] = Object.entries(NAMED_FREQUENCIES).flatMap(([name, interval]) =>
  interval === null ? [] : [{ name, interval: { ...interval }, ...NAMED_SETTINGS[name as RecurringFrequency] }],
);

const CUSTOM_CASES: FrequencyCase[] = [
  { name: 'every 10 days', interval: { unit: 'day', count: 10 }, timeZone: 'Europe/Paris', anchor: { dstLeadDays: 15 }, unitAmount: 990, quantity: 4 },
  { name: 'every 3 weeks', interval: { unit: 'week', count: 3 }, timeZone: 'America/New_York', anchor: { dstLeadDays: 30 }, unitAmount: 1_234, quantity: 3 },
  { name: 'every 5 months', interval: { unit: 'month', count: 5 }, timeZone: 'Europe/Paris', anchor: { dstLeadDays: 60 }, unitAmount: 5_000, quantity: 7 },
  { name: 'every 18 months', interval: { unit: 'month', count: 18 }, timeZone: 'America/Los_Angeles', anchor: 'tomorrow', unitAmount: 18_000, quantity: 1 },
];

/** Periods 0..BILLED_PERIODS-1 are billed and checked; period BILLED_PERIODS must not be. */
const BILLED_PERIODS = 3;

describe('every billing frequency bills its first periods on the anchor calendar', () => {
  const server = useServer(beforeAll, afterAll);

  test('the table covers every named recurring frequency', () => {
    const named = Object.entries(NAMED_FREQUENCIES).filter(([, interval]) => interval !== null).map(([name]) => name);
    expect(NAMED_CASES.map((c) => c.name)).toEqual(named);
    expect(named).toHaveLength(10);
  });

  test.each([...NAMED_CASES, ...CUSTOM_CASES])(
    '$name in $timeZone: periods 0-2 invoiced at anchor + n × interval, charged, nothing early',
    async ({ interval, timeZone, anchor, unitAmount, quantity }) => {
      const s = server();
      const now = await s.env.currentTimeMs();
      let anchorDate: LocalDate;
      if (anchor === 'tomorrow') anchorDate = tomorrow(timeZone, now);
      else if ('daysAgo' in anchor) anchorDate = daysAgo(timeZone, now, anchor.daysAgo);
      else anchorDate = dateBeforeOffsetChange(timeZone, now, anchor.dstLeadDays) ?? fail(`${timeZone} has no DST change ahead`);
      const start = (n: number) => expectedStart(anchorDate, timeZone, interval, n);
      if (anchor !== 'tomorrow' && 'daysAgo' in anchor) expect(start(0).toMillis()).toBeLessThan(now);
      else expect(start(0).toMillis()).toBeGreaterThan(now); // a future start: the workflow waits for it
      if (anchor !== 'tomorrow' && 'dstLeadDays' in anchor) {
        // The setup really puts a DST change inside the billed periods.
        expect(new Set(upTo(BILLED_PERIODS - 1).map((n) => start(n).offset)).size).toBeGreaterThan(1);
      }
      expect(start(BILLED_PERIODS - 1).toMillis() - now).toBeLessThan(TEST_SERVER_LIFETIME_MS - DAY);

      const { handle, subscriptionId, customer, price } = await startSubscription(s, { anchor: start(0).toJSDate(), timeZone, interval, unitAmount, quantity });
      try {
        for (let n = 0; n < BILLED_PERIODS; n += 1) {
          await advanceTo(s, start(n).plus({ hours: 1 }));
          await periodRecorded(subscriptionId, n, start(n + 1));
          // The workflow now sleeps until period n+1: nothing beyond period n has been invoiced.
          expect(await periodIndexes(subscriptionId)).toEqual(upTo(n));
          const invoice = (await invoicesOf(subscriptionId))[n]!;
          expect(invoice.periodStart).toEqual(start(n).toJSDate());
          expect(invoice.periodEnd).toEqual(start(n + 1).toJSDate());
          const [line, ...otherLines] = await linesOf(invoice.id);
          expect(otherLines).toEqual([]);
          expect(line).toMatchObject({ priceId: price.id, unitAmount, quantity, amount: unitAmount * quantity });
          expect(line!.periodStart).toEqual(start(n).toJSDate());
          expect(line!.periodEnd).toEqual(start(n + 1).toJSDate());
          await eventually(async () =>
            expect((await invoicesOf(subscriptionId))[n]).toMatchObject({
              status: 'paid',
              collectionMethod: 'charge_automatically',
              currency: 'USD',
              subtotal: unitAmount * quantity,
              tax: 0,
              total: unitAmount * quantity,
              amountPaid: unitAmount * quantity,
              amountDue: 0,
            }),
          SLOW);
        }

        // A minute before period 3 starts (when the test server lets the workflow live that long; the
        // check after period 2 was recorded stands otherwise): still three invoices, period 3 awaited.
        const next = start(BILLED_PERIODS);
        if (next.toMillis() - now < TEST_SERVER_LIFETIME_MS - DAY) await advanceTo(s, next.minus({ minutes: 1 }));
        expect(await periodIndexes(subscriptionId)).toEqual(upTo(BILLED_PERIODS - 1));
        const view = await handle.query(getSubscriptionQuery);
        expect(view).toMatchObject({ status: 'active', nextPeriodIndex: BILLED_PERIODS, currentPeriod: { index: BILLED_PERIODS - 1 } });
        expect(Date.parse(view.currentPeriod!.start)).toBe(start(BILLED_PERIODS - 1).toMillis());
        expect(Date.parse(view.currentPeriod!.end)).toBe(next.toMillis());
        expect(Date.parse(view.nextBillingDate!)).toBe(next.toMillis());
        expect((await subscriptionRow(subscriptionId)).status).toBe('active');

        // One card charge per invoice, for its total.
        const invoices = await invoicesOf(subscriptionId);
        const payments = await paymentsOf(customer.id);
        expect(payments.map((p) => [p.invoiceId, p.status, p.amount, p.paymentMethod, p.attempt])).toEqual(
          invoices.map((i) => [i.id, 'succeeded', unitAmount * quantity, 'pm_card_visa', 1]),
        );
      } finally {
        // Stop it, so the decades the next rows skip do not bill this one thousands of times.
        await handle.terminate('frequency checked').catch(() => undefined);
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// 2-5. Lifecycle cases, each on its own server (clock at real time)
// ---------------------------------------------------------------------------------------------

describe('subscription lifecycle on the anchor calendar', () => {
  const server = useServer(beforeEach, afterEach);

  test('a start 10 days ahead is scheduled, bills nothing before, and bills period 0 exactly at the start', async () => {
    const s = server();
    const now = await s.env.currentTimeMs();
    const anchor = now + 10 * DAY;
    const monthly: BillingInterval = { unit: 'month', count: 1 };
    const { handle, subscriptionId, customer } = await startSubscription(s, {
      anchor: new Date(anchor),
      timeZone: 'America/New_York',
      interval: monthly,
      unitAmount: 4900,
      quantity: 1,
    });

    await eventually(async () => expect((await subscriptionRow(subscriptionId)).status).toBe('scheduled'));
    const scheduled = await handle.query(getSubscriptionQuery);
    expect(scheduled).toMatchObject({ status: 'scheduled', currentPeriod: null, nextPeriodIndex: 0 });
    expect(Date.parse(scheduled.nextBillingDate!)).toBe(anchor);

    await advanceTo(s, anchor - MINUTE);
    expect(await invoicesOf(subscriptionId)).toEqual([]);
    expect(await paymentsOf(customer.id)).toEqual([]);
    expect((await subscriptionRow(subscriptionId)).status).toBe('scheduled');
    expect((await handle.query(getSubscriptionQuery)).status).toBe('scheduled');

    await advanceTo(s, anchor + MINUTE);
    const periodEnd = DateTime.fromMillis(anchor, { zone: 'America/New_York' }).plus({ months: 1 });
    const row = await periodRecorded(subscriptionId, 0, periodEnd);
    expect(row.status).toBe('active');
    expect(row.currentPeriodStart?.getTime()).toBe(anchor);
    expect(row.currentPeriodEnd?.getTime()).toBe(periodEnd.toMillis());
    const [invoice, ...more] = await invoicesOf(subscriptionId);
    expect(more).toEqual([]);
    expect(invoice!.periodIndex).toBe(0);
    expect(invoice!.periodStart?.getTime()).toBe(anchor);
    expect(invoice!.periodEnd?.getTime()).toBe(periodEnd.toMillis());
    // Issued when the start came (workflow time), not when the subscription was created 10 days before.
    expect(invoice!.finalizedAt!.getTime()).toBeGreaterThanOrEqual(anchor);
    expect(invoice!.finalizedAt!.getTime()).toBeLessThan(anchor + MINUTE);
    await eventually(async () => expect((await invoicesOf(subscriptionId))[0]).toMatchObject({ status: 'paid', amountPaid: 4900, amountDue: 0 }));
    expect((await handle.query(getSubscriptionQuery)).status).toBe('active');
  });

  test('a Jan 31 anchor in a leap year bills Feb 29, then each month end, then Feb 28 a year on (New York midnight)', async () => {
    const s = server();
    const timeZone = 'America/New_York';
    // The next Jan 31 of a leap year after the server's clock (which starts at the real time): a fixed
    // year would be in the past one day.
    const now = DateTime.fromMillis(await s.env.currentTimeMs(), { zone: timeZone });
    let y = now.year + 1;
    while (!DateTime.local(y, { zone: timeZone }).isInLeapYear) y += 1;
    const anchorDate: LocalDate = { year: y, month: 1, day: 31 };
    const monthly: BillingInterval = { unit: 'month', count: 1 };
    const start = (n: number) => expectedStart(anchorDate, timeZone, monthly, n);
    expect(start(0).toMillis()).toBeGreaterThan(now.toMillis()); // in the future of the server's clock

    // The calendar, spelled out: month ends clamp on their own (no drift to the 29th after February).
    const LAST = 14;
    const [a, b] = [String(y), String(y + 1)];
    expect(upTo(LAST).map((n) => isoDate(expectedLocalDate(anchorDate, monthly, n)))).toEqual([
      `${a}-01-31`, `${a}-02-29`, `${a}-03-31`, `${a}-04-30`, `${a}-05-31`, `${a}-06-30`, `${a}-07-31`, `${a}-08-31`,
      `${a}-09-30`, `${a}-10-31`, `${a}-11-30`, `${a}-12-31`, `${b}-01-31`, `${b}-02-28`, `${b}-03-31`,
    ]);

    const { handle, subscriptionId, customer } = await startSubscription(s, { anchor: start(0).toJSDate(), timeZone, interval: monthly, unitAmount: 1000, quantity: 1 });
    await eventually(async () => expect((await subscriptionRow(subscriptionId)).status).toBe('scheduled'));
    await advanceTo(s, start(0).minus({ minutes: 1 }));
    expect(await invoicesOf(subscriptionId)).toEqual([]);

    await advanceTo(s, start(LAST).plus({ hours: 1 }));
    await periodRecorded(subscriptionId, LAST, start(LAST + 1), { timeoutMs: 100_000 });
    const invoices = await eventually(async () => {
      const rows = await invoicesOf(subscriptionId);
      expect(rows.map((i) => [i.periodIndex, i.status])).toEqual(upTo(LAST).map((n) => [n, 'paid']));
      return rows;
    }, SLOW);
    for (const [n, invoice] of invoices.entries()) {
      expect(invoice.periodStart).toEqual(start(n).toJSDate());
      expect(invoice.periodEnd).toEqual(start(n + 1).toJSDate());
      // Local midnight in New York, on both sides of the DST changes (UTC offset -5 h or -4 h).
      const local = DateTime.fromJSDate(invoice.periodStart!, { zone: timeZone });
      expect([local.hour, local.minute]).toEqual([0, 0]);
      expect(invoice).toMatchObject({ total: 1000, amountPaid: 1000, amountDue: 0 });
    }
    expect(new Set(invoices.map((i) => DateTime.fromJSDate(i.periodStart!, { zone: timeZone }).offset))).toEqual(new Set([-300, -240]));
    expect((await paymentsOf(customer.id)).filter((p) => p.status === 'succeeded')).toHaveLength(LAST + 1);
    expect((await handle.query(getSubscriptionQuery)).status).toBe('active');
  });

  test('send_invoice: each period is emailed on net-30 terms and paid by a gateway event or an offline payment', async () => {
    const s = server();
    const timeZone = 'Europe/Paris';
    const monthly: BillingInterval = { unit: 'month', count: 1 };
    const anchorDate = tomorrow(timeZone, await s.env.currentTimeMs());
    const start = (n: number) => expectedStart(anchorDate, timeZone, monthly, n);
    const amount = 3300 * 2;
    const { handle, subscriptionId, customer } = await startSubscription(s, {
      anchor: start(0).toJSDate(),
      timeZone,
      interval: monthly,
      unitAmount: 3300,
      quantity: 2,
      collectionMethod: 'send_invoice',
      paymentMethod: null,
    });
    const collectionOf = (invoiceId: string) =>
      s.env.client.workflow.getHandle<typeof invoiceCollectionWorkflow>(invoiceCollectionWorkflowId(invoiceId));

    // Period 0: emailed with net-30 terms, open, nothing charged.
    await advanceTo(s, start(0).plus({ hours: 1 }));
    await periodRecorded(subscriptionId, 0, start(1));
    const [first] = await invoicesOf(subscriptionId);
    expect(first).toMatchObject({ periodIndex: 0, status: 'open', collectionMethod: 'send_invoice', paymentTerms: 'net_30', total: amount, amountDue: amount, amountPaid: 0 });
    // Due 30 days after it was issued, at the same local time in Paris.
    expect(first!.dueDate).toEqual(DateTime.fromJSDate(first!.finalizedAt!, { zone: timeZone }).plus({ days: 30 }).toJSDate());
    expect(first!.finalizedAt!.getTime()).toBeGreaterThanOrEqual(start(0).toMillis());
    await eventually(async () =>
      expect((await emailsOf(customer.id)).map((e) => [e.kind, e.status, e.relatedId, e.to])).toEqual([['invoice_sent', 'sent', first!.id, customer.email]]),
    );
    const firstCollection = collectionOf(first!.id);
    await eventually(async () => expect(await firstCollection.query(getCollectionQuery)).toMatchObject({ stage: 'awaiting_payment', collectionMethod: 'send_invoice', attempts: 0 }));
    expect(await paymentsOf(customer.id)).toEqual([]);

    // Paid through the gateway: the webhook's event reaches the collection workflow as a signal.
    const paidAt = new Date(await s.env.currentTimeMs()).toISOString();
    await firstCollection.signal(paymentEventSignal, {
      eventId: `evt_${first!.id}`,
      type: 'payment_succeeded',
      occurredAt: paidAt,
      gatewayChargeId: `ch_external_${first!.id}`,
      amount,
      failureCode: null,
    });
    await eventually(async () => expect(await subscriptionInvoice(subscriptionId, 0)).toMatchObject({ status: 'paid', amountPaid: amount, amountDue: 0 }));
    await eventually(async () => expect((await firstCollection.describe()).status.name).toBe('COMPLETED'));
    expect((await paymentsOf(customer.id)).map((p) => [p.invoiceId, p.status, p.amount, p.gatewayChargeId])).toEqual([
      [first!.id, 'succeeded', amount, `ch_external_${first!.id}`],
    ]);
    expect((await handle.query(getSubscriptionQuery)).status).toBe('active');

    // Past period 0's due date and reminder day, into period 1: no overdue reminder, still active.
    const afterReminder = Math.max(start(1).toMillis(), first!.dueDate!.getTime() + DAY) + DAY;
    await advanceTo(s, afterReminder);
    await periodRecorded(subscriptionId, 1, start(2));
    const second = await subscriptionInvoice(subscriptionId, 1);
    expect(second).toMatchObject({ status: 'open', collectionMethod: 'send_invoice', paymentTerms: 'net_30', amountDue: amount });
    expect(second.periodStart).toEqual(start(1).toJSDate());
    await eventually(async () =>
      expect((await emailsOf(customer.id)).filter((e) => e.kind === 'invoice_sent').map((e) => e.relatedId)).toEqual([first!.id, second.id]),
    );
    expect((await emailsOf(customer.id)).map((e) => e.kind)).not.toContain('invoice_overdue');
    expect((await subscriptionRow(subscriptionId)).status).toBe('active');
    expect((await handle.query(getSubscriptionQuery)).status).toBe('active');

    // Period 1 paid by cheque, recorded by an operator on its collection workflow.
    const secondCollection = collectionOf(second.id);
    await eventually(async () => expect((await secondCollection.query(getCollectionQuery)).stage).toBe('awaiting_payment'));
    const chequeAt = new Date(await s.env.currentTimeMs()).toISOString();
    const recorded = await secondCollection.executeUpdate(recordOfflinePaymentUpdate, {
      args: [{ amount, method: 'check', paidAt: chequeAt, reference: 'CHQ-0042', sendReceipt: true, requestKey: `offline-${second.id}` }],
    });
    expect(recorded).toMatchObject({ stage: 'paid', pastDue: false });
    expect(await subscriptionInvoice(subscriptionId, 1)).toMatchObject({ status: 'paid', amountPaid: amount, amountDue: 0 });
    await eventually(async () => expect((await secondCollection.describe()).status.name).toBe('COMPLETED'));
    const offline = (await paymentsOf(customer.id)).filter((p) => p.invoiceId === second.id);
    expect(offline.map((p) => [p.status, p.amount, p.gateway, p.paymentMethod, p.reference])).toEqual([['succeeded', amount, 'offline', 'check', 'CHQ-0042']]);
    await eventually(async () =>
      expect((await emailsOf(customer.id)).filter((e) => e.kind === 'payment_receipt')).toHaveLength(2),
    );
    expect((await subscriptionRow(subscriptionId)).status).toBe('active');
    expect((await handle.query(getSubscriptionQuery)).status).toBe('active');
  });

  test('cancel at period end after period 1: no period 2 invoice, canceled at the period-2 boundary, workflow completes', async () => {
    const s = server();
    const timeZone = 'America/New_York';
    const monthly: BillingInterval = { unit: 'month', count: 1 };
    const anchorDate = tomorrow(timeZone, await s.env.currentTimeMs());
    const start = (n: number) => expectedStart(anchorDate, timeZone, monthly, n);
    const { handle, subscriptionId } = await startSubscription(s, { anchor: start(0).toJSDate(), timeZone, interval: monthly, unitAmount: 2000, quantity: 1 });

    await advanceTo(s, start(1).plus({ days: 1 }));
    await periodRecorded(subscriptionId, 1, start(2));
    await eventually(async () => expect((await invoicesOf(subscriptionId)).map((i) => [i.periodIndex, i.status])).toEqual([[0, 'paid'], [1, 'paid']]));

    const scheduled = await handle.executeUpdate(cancelUpdate, { args: [{ atPeriodEnd: true }] });
    expect(scheduled).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, nextBillingDate: null, canceledAt: null, currentPeriod: { index: 1 } });
    const pending = await subscriptionRow(subscriptionId);
    expect(pending).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, nextBillingDate: null, canceledAt: null });

    // A minute before the boundary: still active, the paid period runs to its end.
    await advanceTo(s, start(2).minus({ minutes: 1 }));
    expect((await subscriptionRow(subscriptionId)).status).toBe('active');
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const final = await handle.result(); // skips to the boundary
    expect(final).toMatchObject({ status: 'canceled', cancelAtPeriodEnd: true, nextBillingDate: null, nextPeriodIndex: 2, currentPeriod: { index: 1 } });
    expect(Date.parse(final.canceledAt!)).toBe(start(2).toMillis());
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    const row = await subscriptionRow(subscriptionId);
    expect(row).toMatchObject({ status: 'canceled', nextBillingDate: null });
    expect(row.canceledAt).toEqual(start(2).toJSDate());

    await advanceTo(s, start(3).plus({ days: 1 }));
    expect(await periodIndexes(subscriptionId)).toEqual([0, 1]);
  });
});

async function subscriptionInvoice(subscriptionId: string, periodIndex: number): Promise<Invoice> {
  return eventually(async () => {
    const invoice = await orm.em.fork().findOne(Invoice, { subscriptionId, periodIndex });
    expect(invoice).not.toBeNull();
    return invoice!;
  });
}
