/**
 * The calendar-sensitive workflow checks, started on month ends, Feb 28 and 29 and the year end rather
 * than on whatever day the suite happens to run. The time-skipping server starts at the real current
 * time and cannot be set to a date, so each anchor gets its own server whose clock is skipped forward
 * to the next occurrence of that date (local midnight in the customer's zone) before anything starts.
 *
 * From each anchor, one walk of the clock drives four subscriptions started together: monthly
 * charged, monthly paused and resumed, monthly on net-30 invoices, and yearly. Every expected date is
 * calendar arithmetic (luxon, in the customer's zone), never a count of days for a month.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Email, Invoice, Subscription } from '../../db/entities';
import { subscriptionWorkflow } from '../../workflows/subscription/workflow';
import { getSubscriptionQuery, pauseUpdate, resumeUpdate, subscriptionWorkflowId } from '../../workflows/subscription/contract';
import { invoiceCollectionWorkflowId } from '../../workflows/invoice-collection/contract';
import type { IntervalUnit } from '../../domain/frequency';
import { requireEnv } from '../support/env';
import { eventually } from '../support/eventually';
import { testBillingWorker } from '../support/billing-worker';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../support/fixtures';
import { CALENDAR_ANCHORS, nextOccurrence } from '../support/calendar';

const TASK_QUEUE = 'calendar-anchors-test';

let orm: MikroORM;

beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});

afterAll(async () => {
  await orm?.close(true);
});

const invoicesOf = (subscriptionId: string) => orm.em.fork().find(Invoice, { subscriptionId }, { orderBy: { periodIndex: 'asc' } });
const emailKinds = async (customerId: string) =>
  (await orm.em.fork().find(Email, { customerId }, { orderBy: { createdAt: 'asc' } })).map((e) => e.kind);
const row = (id: string) => orm.em.fork().findOneOrFail(Subscription, { id });
const starts = async (id: string) => (await invoicesOf(id)).map((i) => [i.periodIndex, i.periodStart?.toISOString()]);

describe.each(CALENDAR_ANCHORS)('billing started on $label ($timeZone)', (anchor) => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let run: Promise<void>;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    worker = await testBillingWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, orm });
    run = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await run;
    await env?.teardown();
  });

  async function advanceTo(instant: DateTime): Promise<void> {
    const ms = instant.toMillis() - (await env.currentTimeMs());
    if (ms > 0) await env.sleep(ms);
  }

  async function start(t0: DateTime, opts: { unit?: IntervalUnit; collectionMethod?: 'send_invoice' } = {}) {
    const invoiced = opts.collectionMethod === 'send_invoice';
    const customer = await createCustomer(orm, { timeZone: anchor.timeZone, defaultPaymentMethod: invoiced ? null : 'pm_card_visa' });
    const price = await createRecurringPrice(orm, { unit: opts.unit ?? 'month', count: 1, unitAmount: 2000 });
    const subscription = await createSubscriptionRecord(orm, customer, price, { anchor: t0.toJSDate(), collectionMethod: opts.collectionMethod });
    const handle = await env.client.workflow.start(subscriptionWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: subscriptionWorkflowId(subscription.id),
      args: [{ subscriptionId: subscription.id, customerId: customer.id, billingAnchor: t0.toUTC().toISO()!, timeZone: anchor.timeZone, interval: { unit: price.intervalUnit!, count: 1 } }],
    });
    return { handle, id: subscription.id, customerId: customer.id };
  }

  /** Terminates the subscriptions and their invoices' collection workflows (open net-30 invoices keep reminding). */
  async function stop(subscriptions: { handle: { terminate(reason: string): Promise<unknown> }; id: string }[]): Promise<void> {
    for (const s of subscriptions) {
      await s.handle.terminate('calendar check over').catch(() => undefined);
      for (const invoice of await invoicesOf(s.id)) {
        await env.client.workflow.getHandle(invoiceCollectionWorkflowId(invoice.id)).terminate('calendar check over').catch(() => undefined);
      }
    }
  }

  test('monthly periods clamp to month ends and come back; pause, net-30 terms and yearly billing follow the calendar', async () => {
    const t0 = nextOccurrence(anchor, await env.currentTimeMs());
    expect([t0.month, t0.day, t0.hour]).toEqual([anchor.month, anchor.day, 0]);
    const month = (n: number) => t0.plus({ months: n }); // luxon clamps: Jan 31 + 1 month = Feb 28/29
    const iso = (d: DateTime) => d.toUTC().toISO();

    await advanceTo(t0.minus({ hours: 1 }));
    const charged = await start(t0);
    const paused = await start(t0);
    const invoiced = await start(t0, { collectionMethod: 'send_invoice' });
    const yearly = await start(t0, { unit: 'year' });
    const all = [charged, paused, invoiced, yearly];
    try {
      await advanceTo(t0.plus({ hours: 1 }));
      for (const s of all) await eventually(async () => expect(await starts(s.id)).toEqual([[0, iso(t0)]]));
      const pausedView = await paused.handle.executeUpdate(pauseUpdate, { args: [{}] });
      expect(pausedView.status).toBe('paused');

      // 31 local days on: past any one-month boundary, the net-30 due date and its overdue reminder the day after.
      await advanceTo(t0.plus({ days: 31, hours: 2 }));
      await eventually(async () => expect(await starts(charged.id)).toEqual([[0, iso(t0)], [1, iso(month(1))]]));
      const [first, second] = await eventually(async () => {
        const rows = await invoicesOf(invoiced.id);
        expect(rows.map((i) => i.periodStart?.toISOString())).toEqual([iso(t0), iso(month(1))]);
        return rows;
      });
      // Due 30 calendar days after issue, at the same local time (across a DST change too).
      expect(first!.dueDate).toEqual(DateTime.fromJSDate(first!.finalizedAt!, { zone: anchor.timeZone }).plus({ days: 30 }).toJSDate());
      expect(second!.status).toBe('open');
      await eventually(async () => expect((await emailKinds(invoiced.customerId)).sort()).toEqual(['invoice_overdue', 'invoice_sent', 'invoice_sent']));
      expect(await invoicesOf(paused.id)).toHaveLength(1);

      // Resumed after the +2 months boundary: billing picks up at +3 months, on the anchor calendar.
      await advanceTo(month(2).plus({ days: 10 }));
      const resumed = await paused.handle.executeUpdate(resumeUpdate);
      expect(resumed.nextBillingDate).toBe(iso(month(3)));

      // A minute before +4 months: periods 0-3 billed exactly on the month starts, period 4 awaited.
      await advanceTo(month(4).minus({ minutes: 1 }));
      await eventually(async () => expect(await starts(charged.id)).toEqual([0, 1, 2, 3].map((n) => [n, iso(month(n))])));
      await eventually(async () => expect((await row(charged.id)).nextBillingDate?.toISOString()).toBe(iso(month(4))));
      expect((await charged.handle.query(getSubscriptionQuery)).nextBillingDate).toBe(iso(month(4)));
      await eventually(async () => expect(await starts(paused.id)).toEqual([[0, iso(t0)], [3, iso(month(3))]]));
      await stop([charged, paused, invoiced]); // so the year skipped next bills only the yearly one

      // Yearly: a year on in the customer's calendar (Feb 29 gives Feb 28).
      expect(await starts(yearly.id)).toEqual([[0, iso(t0)]]);
      await advanceTo(t0.plus({ years: 1, hours: 1 }));
      await eventually(async () => expect(await starts(yearly.id)).toEqual([[0, iso(t0)], [1, iso(t0.plus({ years: 1 }))]]));
      if (anchor.month === 2 && anchor.day === 29) expect(t0.plus({ years: 1 }).day).toBe(28);
    } finally {
      await stop(all);
    }
  });
});
