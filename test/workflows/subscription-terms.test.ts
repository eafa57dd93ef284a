/**
 * Trials, commitment terms, pauses with an automatic resume and undoing a scheduled cancel, on the
 * time-skipping server with the real activities, PostgreSQL and the outbox mailer.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { DateTime } from 'luxon';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Email, Invoice, Subscription, type CollectionMethod } from '../../db/entities';
import { newId } from '../../db/ids';
import { addSubscriptionRecord, startSubscriptionWorkflow, type SubscriptionCommitment } from '../../services/subscriptions/start-subscription';
import { addPartialPeriodCharges } from '../../services/subscriptions/partial-period-charges';
import type { subscriptionWorkflow } from '../../workflows/subscription/workflow';
import { cancelUpdate, getSubscriptionQuery, pauseUpdate, resumeUpdate, undoCancelUpdate } from '../../workflows/subscription/contract';
import { requireEnv } from '../support/env';
import { eventually } from '../support/eventually';
import { testBillingWorker } from '../support/billing-worker';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { createCustomer, createRecurringPrice } from '../support/fixtures';
import type { IntervalUnit } from '../../domain/frequency';

const TASK_QUEUE = 'subscription-terms-test';
const OWNER = 'owner@seller.example';

let env: TestWorkflowEnvironment;
let orm: MikroORM;
let worker: Worker;
let workerRun: Promise<void>;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  orm = await openDatabase(requireEnv('DATABASE_URL'));
  worker = await testBillingWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, orm });
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await orm?.close(true);
  await env?.teardown();
});

interface Started {
  handle: WorkflowHandle<typeof subscriptionWorkflow>;
  id: string;
  customerId: string;
  /** The start (trial start with a trial). */
  start: DateTime;
}

async function start(opts: {
  trialDays?: number;
  commitment?: SubscriptionCommitment;
  unit?: IntervalUnit;
  count?: number;
  collectionMethod?: CollectionMethod;
  /** A billing anchor this long after the start; the partial period before it is charged on the first invoice. */
  anchorAfter?: { days: number };
}): Promise<Started> {
  const now = DateTime.fromMillis(await env.currentTimeMs(), { zone: 'UTC' });
  const customer = await createCustomer(orm, { accountOwnerEmail: OWNER, email: `${newId('customer')}@example.com` });
  const price = await createRecurringPrice(orm, { unitAmount: 3000, unit: opts.unit ?? 'month', count: opts.count ?? 1 });
  const em = orm.em.fork();
  const id = newId('subscription');
  const anchor = opts.anchorAfter ? now.plus(opts.anchorAfter) : null;
  const record = addSubscriptionRecord(em, {
    id,
    customerId: customer.id,
    timeZone: customer.timeZone,
    currency: 'USD',
    intervalUnit: price.intervalUnit!,
    intervalCount: price.intervalCount!,
    items: [{ priceId: price.id, quantity: 1, unitAmount: price.unitAmount }],
    collectionMethod: opts.collectionMethod ?? 'charge_automatically',
    startDate: now.toJSDate(),
    trialEnd: opts.trialDays ? now.plus({ days: opts.trialDays }).toJSDate() : null,
    commitment: opts.commitment ?? null,
    billingAnchor: anchor?.toJSDate() ?? null,
    metadata: {},
    now: now.toJSDate(),
  });
  await em.flush();
  if (anchor) {
    await addPartialPeriodCharges(em, record, record.items.getItems(), now.toJSDate(), anchor.toJSDate(), { unit: price.intervalUnit!, count: price.intervalCount! }, now.toJSDate());
    await em.flush();
  }
  const subscription = await em.findOneOrFail(Subscription, { id });
  await startSubscriptionWorkflow(env.client, TASK_QUEUE, subscription);
  return { handle: env.client.workflow.getHandle<typeof subscriptionWorkflow>(subscription.workflowId), id, customerId: customer.id, start: now };
}

const row = (id: string) => orm.em.fork().findOneOrFail(Subscription, { id });
const invoicesOf = (subscriptionId: string) => orm.em.fork().find(Invoice, { subscriptionId }, { orderBy: { periodIndex: 'asc' } });
const emailsOf = (customerId: string, kind: string) => orm.em.fork().find(Email, { customerId, kind }, { orderBy: { createdAt: 'asc' } });

/** Skips workflow time to `instant` (activities it wakes run in real time: assert with `eventually`). */
async function advanceTo(instant: DateTime): Promise<void> {
  const ms = instant.toMillis() - (await env.currentTimeMs());
  if (ms > 0) await env.sleep(ms);
}

/** `RECORD_HISTORIES=1 npm test` refreshes the fixtures that test/replay replays on every run. */
async function recordHistory(handle: WorkflowHandle, file: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  writeFileSync(join(__dirname, '../replay/histories', file), historyToJSON(await handle.fetchHistory()));
}

const billedPeriods = async (id: string) => (await invoicesOf(id)).map((i) => i.periodIndex);

test('a 14-day trial bills nothing, tells the customer 3 days before it ends, then bills its first period at the trial end', async () => {
  const { handle, id, customerId, start: trialStart } = await start({ trialDays: 14 });
  const trialEnd = trialStart.plus({ days: 14 });

  await eventually(async () => expect((await row(id)).status).toBe('trialing'));
  const recorded = await row(id);
  expect(recorded.trialStart).toEqual(trialStart.toJSDate());
  expect(recorded.trialEnd).toEqual(trialEnd.toJSDate());
  expect(recorded.nextBillingDate).toEqual(trialEnd.toJSDate());

  // The notice goes out 3 days before the trial ends, not earlier.
  await advanceTo(trialEnd.minus({ days: 3, hours: 1 }));
  expect(await emailsOf(customerId, 'subscription_trial_ending')).toHaveLength(0);
  expect(await invoicesOf(id)).toHaveLength(0);
  await advanceTo(trialEnd.minus({ days: 3 }).plus({ hours: 1 }));
  const [notice] = await eventually(async () => {
    const emails = await emailsOf(customerId, 'subscription_trial_ending');
    expect(emails).toHaveLength(1);
    return emails;
  });
  expect(notice!.subject).toContain(trialEnd.toFormat('d LLL yyyy'));
  expect(await invoicesOf(id)).toHaveLength(0);
  expect((await handle.query(getSubscriptionQuery)).status).toBe('trialing');

  await advanceTo(trialEnd.plus({ hours: 1 }));
  await recordHistory(handle, 'subscription-v3-trial.json');
  const invoices = await eventually(async () => {
    const rows = await invoicesOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('paid');
    return rows;
  });
  expect(invoices[0]!.periodStart).toEqual(trialEnd.toJSDate());
  expect(invoices[0]!.periodEnd).toEqual(trialEnd.plus({ months: 1 }).toJSDate());
  expect(invoices[0]!.total).toBe(3000);
  await eventually(async () => expect((await row(id)).status).toBe('active'));
  expect(await emailsOf(customerId, 'subscription_trial_ending')).toHaveLength(1);
});

test('canceling a trial at period end ends it at the trial end without billing or a trial notice', async () => {
  const { handle, id, customerId, start: trialStart } = await start({ trialDays: 7 });
  await eventually(async () => expect((await row(id)).status).toBe('trialing'));
  const view = await handle.executeUpdate(cancelUpdate, { args: [{ atPeriodEnd: true }] });
  expect(view.cancelAtPeriodEnd).toBe(true);
  expect(view.nextBillingDate).toBeNull();

  await advanceTo(trialStart.plus({ days: 8 }));
  await eventually(async () => expect((await row(id)).status).toBe('canceled'));
  const ended = await row(id);
  expect(ended.canceledAt).toEqual(trialStart.plus({ days: 7 }).toJSDate());
  expect(ended.cancellationReason).toBe('cancellation_requested');
  expect(await invoicesOf(id)).toHaveLength(0);
  expect(await emailsOf(customerId, 'subscription_trial_ending')).toHaveLength(0);
  await handle.result();
});

test('a 12-month commitment paid quarterly reminds 30 days before the term ends, then renews for another term', async () => {
  const { handle, id, customerId, start: anchor } = await start({
    unit: 'month',
    count: 3,
    commitment: { interval: { unit: 'year', count: 1 }, renewal: 'renew', reminderDaysBefore: 30 },
  });
  const termEnd = anchor.plus({ months: 12 });
  await eventually(async () => {
    const r = await row(id);
    expect(r.currentTermIndex).toBe(0);
    expect(r.currentTermEnd).toEqual(termEnd.toJSDate());
  });

  await advanceTo(termEnd.minus({ days: 30, hours: 1 }));
  await eventually(async () => expect(await billedPeriods(id)).toEqual([0, 1, 2, 3]));
  expect(await emailsOf(customerId, 'subscription_term_renewal')).toHaveLength(0);

  await advanceTo(termEnd.minus({ days: 30 }).plus({ hours: 1 }));
  const [toCustomer] = await eventually(async () => {
    const emails = await emailsOf(customerId, 'subscription_term_renewal');
    expect(emails).toHaveLength(1);
    return emails;
  });
  expect(toCustomer!.subject).toContain(termEnd.toFormat('d LLL yyyy'));
  const [toOwner] = await eventually(async () => {
    const emails = await emailsOf(customerId, 'subscription_term_reminder_owner');
    expect(emails).toHaveLength(1);
    return emails;
  });
  expect(toOwner!.to).toBe(OWNER);
  expect(toOwner!.subject).toMatch(/^Renewal/);

  // At the term end the subscription renews: the next quarter is billed, in a new term.
  await advanceTo(termEnd.plus({ days: 1 }));
  await eventually(async () => expect(await billedPeriods(id)).toEqual([0, 1, 2, 3, 4]));
  await eventually(async () => {
    const r = await row(id);
    expect(r.status).toBe('active');
    expect(r.currentTermIndex).toBe(1);
    expect(r.currentTermStart).toEqual(termEnd.toJSDate());
    expect(r.currentTermEnd).toEqual(anchor.plus({ months: 24 }).toJSDate());
  });
  const view = await handle.query(getSubscriptionQuery);
  expect(view.currentTerm).toEqual({ index: 1, start: termEnd.toISO(), end: anchor.plus({ months: 24 }).toISO(), renewal: 'renew' });
  expect(await emailsOf(customerId, 'subscription_term_renewal')).toHaveLength(1);
});

test('a 12-month commitment set to expire reminds 14 days before, then ends at the term end without billing again', async () => {
  const { handle, id, customerId, start: anchor } = await start({
    unit: 'month',
    count: 3,
    commitment: { interval: { unit: 'month', count: 12 }, renewal: 'expire', reminderDaysBefore: 14 },
  });
  const termEnd = anchor.plus({ months: 12 });

  await advanceTo(termEnd.minus({ days: 14, hours: 1 }));
  await eventually(async () => expect(await billedPeriods(id)).toEqual([0, 1, 2, 3]));
  expect(await emailsOf(customerId, 'subscription_term_expiry')).toHaveLength(0);
  // The last quarter before the end is not followed by another billing date.
  expect((await handle.query(getSubscriptionQuery)).nextBillingDate).toBeNull();

  await advanceTo(termEnd.minus({ days: 14 }).plus({ hours: 1 }));
  await eventually(async () => expect(await emailsOf(customerId, 'subscription_term_expiry')).toHaveLength(1));
  const [toOwner] = await eventually(async () => {
    const emails = await emailsOf(customerId, 'subscription_term_reminder_owner');
    expect(emails).toHaveLength(1);
    return emails;
  });
  expect(toOwner!.subject).toMatch(/^Expiry/);
  expect((await row(id)).status).toBe('active');

  await advanceTo(termEnd.plus({ days: 1 }));
  await eventually(async () => expect((await row(id)).status).toBe('canceled'));
  const ended = await row(id);
  expect(ended.canceledAt).toEqual(termEnd.toJSDate());
  expect(ended.cancellationReason).toBe('term_expired');
  expect(await billedPeriods(id)).toEqual([0, 1, 2, 3]);
  await handle.result();
  await recordHistory(handle, 'subscription-v3-commitment-expiry.json');
});

test('a pause with an automatic resume skips the periods in between and bills again on the anchor calendar', async () => {
  const { handle, id, start: anchor } = await start({});
  await eventually(async () => expect(await billedPeriods(id)).toEqual([0]));
  const resumeAt = anchor.plus({ months: 2, days: 10 });

  const paused = await handle.executeUpdate(pauseUpdate, { args: [{ resumeAt: resumeAt.toISO() }] });
  expect(paused.status).toBe('paused');
  expect(paused.resumeAt).toBe(resumeAt.toISO());
  // Billing picks up at the first boundary after the resume.
  expect(paused.nextBillingDate).toBe(anchor.plus({ months: 3 }).toISO());
  expect((await row(id)).resumeAt).toEqual(resumeAt.toJSDate());

  await advanceTo(resumeAt.minus({ hours: 1 }));
  expect(await billedPeriods(id)).toEqual([0]);
  expect((await row(id)).status).toBe('paused');

  await advanceTo(resumeAt.plus({ hours: 1 }));
  await eventually(async () => expect((await row(id)).status).toBe('active'));
  expect((await row(id)).resumeAt).toBeNull();
  expect(await billedPeriods(id)).toEqual([0]);

  await advanceTo(anchor.plus({ months: 3, hours: 1 }));
  const invoices = await eventually(async () => {
    const rows = await invoicesOf(id);
    expect(rows.map((i) => i.periodIndex)).toEqual([0, 3]);
    return rows;
  });
  expect(invoices[1]!.periodStart).toEqual(anchor.plus({ months: 3 }).toJSDate());
});

test('a pause scheduled for a date starts then and resumes by itself; resume drops a pause not started yet', async () => {
  const { handle, id, start: anchor } = await start({});
  await eventually(async () => expect(await billedPeriods(id)).toEqual([0]));
  const pauseAt = anchor.plus({ months: 1, days: 5 });
  const resumeAt = anchor.plus({ months: 3, days: 1 });

  // Refused before they reach history: a date in the past, a resume before the pause.
  await expect(handle.executeUpdate(pauseUpdate, { args: [{ pauseAt: anchor.minus({ days: 1 }).toISO() }] })).rejects.toMatchObject({
    cause: { type: 'LifecycleRuleError', message: expect.stringMatching(/not in the future/) },
  });
  await expect(handle.executeUpdate(pauseUpdate, { args: [{ pauseAt: pauseAt.toISO(), resumeAt: pauseAt.minus({ days: 1 }).toISO() }] })).rejects.toMatchObject({
    cause: { type: 'LifecycleRuleError', message: expect.stringMatching(/resume_at .* must be after/) },
  });

  const scheduled = await handle.executeUpdate(pauseUpdate, { args: [{ pauseAt: pauseAt.toISO(), resumeAt: resumeAt.toISO() }] });
  expect(scheduled.status).toBe('active');
  expect(scheduled.scheduledPause).toEqual({ pauseAt: pauseAt.toISO(), resumeAt: resumeAt.toISO() });
  const recorded = await row(id);
  expect(recorded.pauseScheduledAt).toEqual(pauseAt.toJSDate());
  expect(recorded.resumeAt).toEqual(resumeAt.toJSDate());

  // Period 1 starts before the pause and is billed; periods 2 and 3 fall inside it.
  await advanceTo(pauseAt.plus({ hours: 1 }));
  await eventually(async () => expect((await row(id)).status).toBe('paused'));
  expect(await billedPeriods(id)).toEqual([0, 1]);
  expect((await row(id)).pausedAt).toEqual(pauseAt.toJSDate());
  expect((await row(id)).pauseScheduledAt).toBeNull();

  await advanceTo(anchor.plus({ months: 4, hours: 1 }));
  await eventually(async () => expect(await billedPeriods(id)).toEqual([0, 1, 4]));
  expect((await row(id)).status).toBe('active');

  // A pause scheduled and then dropped never happens.
  const later = anchor.plus({ months: 5, days: 2 });
  await handle.executeUpdate(pauseUpdate, { args: [{ pauseAt: later.toISO() }] });
  const dropped = await handle.executeUpdate(resumeUpdate);
  expect(dropped.scheduledPause).toBeNull();
  await advanceTo(anchor.plus({ months: 6, hours: 1 }));
  await eventually(async () => expect(await billedPeriods(id)).toEqual([0, 1, 4, 5, 6]));
  expect((await row(id)).status).toBe('active');
  await recordHistory(handle, 'subscription-v3-scheduled-pause.json');
});

test('a cancel at period end can be undone before the period ends; billing then continues', async () => {
  const { handle, id, start: anchor } = await start({});
  await eventually(async () => expect(await billedPeriods(id)).toEqual([0]));

  await expect(handle.executeUpdate(undoCancelUpdate)).rejects.toMatchObject({
    cause: { type: 'LifecycleRuleError', message: expect.stringMatching(/not set to cancel/) },
  });
  const canceling = await handle.executeUpdate(cancelUpdate, { args: [{ atPeriodEnd: true }] });
  expect(canceling.nextBillingDate).toBeNull();
  await eventually(async () => expect((await row(id)).cancellationReason).toBe('cancellation_requested'));

  await advanceTo(anchor.plus({ days: 20 }));
  const kept = await handle.executeUpdate(undoCancelUpdate);
  expect(kept.cancelAtPeriodEnd).toBe(false);
  expect(kept.nextBillingDate).toBe(anchor.plus({ months: 1 }).toISO());
  const recorded = await row(id);
  expect(recorded.cancelAtPeriodEnd).toBe(false);
  expect(recorded.cancellationReason).toBeNull();

  await advanceTo(anchor.plus({ months: 1, hours: 1 }));
  await eventually(async () => expect(await billedPeriods(id)).toEqual([0, 1]));
  expect((await row(id)).status).toBe('active');
});

test('a billing anchor 12 days after the start: active and unbilled until then, the partial period on the first invoice', async () => {
  const { id, start: begun } = await start({ anchorAfter: { days: 12 } });
  const anchor = begun.plus({ days: 12 });
  await eventually(async () => expect((await row(id)).status).toBe('active'));
  expect((await row(id)).nextBillingDate).toEqual(anchor.toJSDate());

  await advanceTo(anchor.minus({ hours: 1 }));
  expect(await invoicesOf(id)).toHaveLength(0);

  await advanceTo(anchor.plus({ hours: 1 }));
  const [first] = await eventually(async () => {
    const rows = await invoicesOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('paid');
    return rows;
  });
  expect(first!.periodStart).toEqual(anchor.toJSDate());
  // 30.00 for the month from the anchor, plus 12 days' share of the month before it, rounded half-up once.
  const monthMs = BigInt(anchor.diff(anchor.minus({ months: 1 })).toMillis());
  const partial = Number((2n * 3000n * BigInt(anchor.diff(begun).toMillis()) + monthMs) / (2n * monthMs));
  expect(first!.total).toBe(3000 + partial);

  await advanceTo(anchor.plus({ months: 1, hours: 1 }));
  await eventually(async () => expect(await billedPeriods(id)).toEqual([0, 1]));
  expect((await invoicesOf(id))[1]!.total).toBe(3000);
});

test('ended before its billing anchor, a subscription still bills the partial period it used, on a final invoice', async () => {
  const { handle, id, start: begun } = await start({ anchorAfter: { days: 9 } });
  const anchor = begun.plus({ days: 9 });
  await eventually(async () => expect((await row(id)).status).toBe('active'));
  const canceling = await handle.executeUpdate(cancelUpdate, { args: [{ atPeriodEnd: true }] });
  expect(canceling.nextBillingDate).toBeNull();

  await advanceTo(anchor.plus({ hours: 1 }));
  await handle.result();
  const ended = await row(id);
  expect(ended.status).toBe('canceled');
  expect(ended.canceledAt).toEqual(anchor.toJSDate());
  const monthMs = BigInt(anchor.diff(anchor.minus({ months: 1 })).toMillis());
  const partial = Number((2n * 3000n * BigInt(anchor.diff(begun).toMillis()) + monthMs) / (2n * monthMs));
  const [final] = await eventually(async () => {
    const rows = await invoicesOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('paid');
    return rows;
  });
  // Not a period invoice: the partial period from the start to the anchor, and nothing after it.
  expect(final!.periodIndex).toBeNull();
  expect(final!.total).toBe(partial);
  expect(final!.periodStart).toEqual(begun.toJSDate());
  expect(final!.periodEnd).toEqual(anchor.toJSDate());
  expect(final!.finalizedAt).toEqual(anchor.toJSDate());
  await recordHistory(handle, 'subscription-v4-final-invoice-at-end.json');
});
