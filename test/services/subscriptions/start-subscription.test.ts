/**
 * Recording a new subscription and starting its billing workflow, against real PostgreSQL and the
 * Temporal dev server (no worker polls the queue, so a started workflow stays running): the row and
 * its items as written, the workflow input for a trial, a later anchor and a commitment, one workflow
 * per subscription, and a start Temporal refuses reaching the caller.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { MikroORM } from '../../../db/orm';
import { MAX_SUBSCRIPTION_ITEMS, Subscription, SubscriptionItem, type Customer, type Price } from '../../../db/entities';
import { newId } from '../../../db/ids';
import {
  TRIAL_ENDING_NOTICE_DAYS,
  addSubscriptionRecord,
  startSubscriptionWorkflow,
  subscriptionWorkflowInput,
  type NewSubscription,
} from '../../../services/subscriptions/start-subscription';
import { subscriptionWorkflowId } from '../../../workflows/subscription/contract';
import { openServiceStack, type ServiceStack } from '../../support/service-stack';
import { createCustomer, createRecurringPrice } from '../../support/fixtures';

const TASK_QUEUE = `service-tests-${randomUUID()}`;
let stack: ServiceStack;
let orm: MikroORM;
let temporal: Client;
beforeAll(async () => {
  stack = await openServiceStack();
  ({ orm, temporal } = stack);
});
afterAll(() => stack?.close());

const START = new Date('2026-03-01T09:00:00Z');

async function spec(overrides: Partial<NewSubscription> = {}, prices?: Price[]): Promise<NewSubscription> {
  const customer: Customer = await createCustomer(orm, { email: `sub-${randomUUID()}@example.com`, timeZone: 'Europe/Paris' });
  const items = prices ?? [await createRecurringPrice(orm, { unitAmount: 2500 }), await createRecurringPrice(orm, { unitAmount: 900 })];
  return {
    id: newId('subscription'),
    customerId: customer.id,
    timeZone: customer.timeZone,
    currency: 'USD',
    intervalUnit: 'month',
    intervalCount: 1,
    items: items.map((price, i) => ({ priceId: price.id, quantity: i + 1, unitAmount: price.unitAmount })),
    collectionMethod: 'charge_automatically',
    startDate: START,
    metadata: { deal: 'D-1' },
    now: START,
    ...overrides,
  };
}

async function record(s: NewSubscription): Promise<Subscription> {
  const em = orm.em.fork();
  addSubscriptionRecord(em, s);
  await em.flush();
  return orm.em.fork().findOneOrFail(Subscription, { id: s.id });
}

describe('addSubscriptionRecord', () => {
  it('writes an incomplete subscription billed from its start, with its items in order', async () => {
    const s = await spec();
    const stored = await record(s);
    expect(stored).toMatchObject({ status: 'incomplete', billingAnchor: START, nextBillingDate: START, trialStart: null, workflowId: subscriptionWorkflowId(s.id), metadata: { deal: 'D-1' } });
    const items = await orm.em.fork().find(SubscriptionItem, { subscription: s.id }, { orderBy: { position: 'asc' } });
    expect(items.map((i) => [i.priceId, i.quantity, i.unitAmount, i.position])).toEqual(s.items.map((i, position) => [i.priceId, i.quantity, i.unitAmount, position]));
  });

  it('bills from the trial end, or from a later anchor', async () => {
    const trialEnd = new Date('2026-03-15T09:00:00Z');
    expect(await record(await spec({ trialEnd }))).toMatchObject({ trialStart: START, trialEnd, billingAnchor: trialEnd, nextBillingDate: trialEnd });
    const anchor = new Date('2026-03-10T00:00:00Z');
    expect(await record(await spec({ billingAnchor: anchor }))).toMatchObject({ trialStart: null, billingAnchor: anchor, nextBillingDate: anchor, startDate: START });
  });

  it('refuses no items, too many, and a price given twice', async () => {
    const s = await spec();
    const em = orm.em.fork();
    expect(() => addSubscriptionRecord(em, { ...s, items: [] })).toThrow('a subscription holds 1 to 20 items, got 0');
    const many = Array.from({ length: MAX_SUBSCRIPTION_ITEMS + 1 }, (_, i) => ({ priceId: `price_${i}`, quantity: 1, unitAmount: 100 }));
    expect(() => addSubscriptionRecord(em, { ...s, items: many })).toThrow('got 21');
    expect(() => addSubscriptionRecord(em, { ...s, items: [s.items[0]!, s.items[0]!] })).toThrow('a subscription holds each price once');
  });
});

describe('subscriptionWorkflowInput', () => {
  it('gives a trial its start and notice, a later anchor its stub, and a commitment its periods per term', async () => {
    const trial = await record(await spec({ trialEnd: new Date('2026-03-15T09:00:00Z') }));
    expect(subscriptionWorkflowInput(trial)).toEqual({
      subscriptionId: trial.id,
      customerId: trial.customerId,
      billingAnchor: '2026-03-15T09:00:00.000Z',
      timeZone: 'Europe/Paris',
      interval: { unit: 'month', count: 1 },
      trialStart: START.toISOString(),
      trialEndingNoticeDays: TRIAL_ENDING_NOTICE_DAYS,
    });
    const stub = await record(await spec({ billingAnchor: new Date('2026-03-10T00:00:00Z') }));
    expect(subscriptionWorkflowInput(stub)).toMatchObject({ billingAnchor: '2026-03-10T00:00:00.000Z', stubStart: START.toISOString() });
    expect(subscriptionWorkflowInput(stub).trialStart).toBeUndefined();
    const committed = await record(await spec({ commitment: { interval: { unit: 'year', count: 1 }, renewal: 'expire', reminderDaysBefore: 30 } }));
    expect(subscriptionWorkflowInput(committed).commitment).toEqual({ periodsPerTerm: 12, renewal: 'expire', reminderDaysBefore: 30 });
  });
});

describe('startSubscriptionWorkflow', () => {
  it('starts subscription-<id> once with its input; a second start finds it running', async () => {
    const subscription = await record(await spec());
    expect(await startSubscriptionWorkflow(temporal, TASK_QUEUE, subscription)).toBe(true);
    const handle = temporal.workflow.getHandle(subscriptionWorkflowId(subscription.id));
    const described = await handle.describe();
    expect(described).toMatchObject({ type: 'subscriptionWorkflow', taskQueue: TASK_QUEUE, status: { name: 'RUNNING' } });
    const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    expect((started?.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([subscriptionWorkflowInput(subscription)]);

    expect(await startSubscriptionWorkflow(temporal, TASK_QUEUE, subscription)).toBe(false);
    expect((await handle.describe()).runId).toBe(described.runId);
    await handle.terminate('test done');
  });

  it('passes on a start Temporal refuses', async () => {
    const subscription = await record(await spec());
    const nowhere = new Client({ connection: temporal.connection, namespace: `missing-${randomUUID()}` });
    await expect(startSubscriptionWorkflow(nowhere, TASK_QUEUE, subscription)).rejects.toThrow(/namespace/i);
  });
});
