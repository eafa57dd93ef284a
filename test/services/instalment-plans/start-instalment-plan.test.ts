/**
 * A new instalment plan's records and workflow, against real PostgreSQL and the Temporal dev server
 * (no worker polls the queue, so a started workflow stays running and never records its first state):
 * the plan and its instalments written together or not at all, the workflow input, one workflow per
 * plan, and a failed start reaching the caller while a slow first state write only warns.
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { MikroORM } from '../../../db/orm';
import { Instalment, InstalmentPlan, type Customer } from '../../../db/entities';
import { newId } from '../../../db/ids';
import { buildInstalmentSchedule } from '../../../domain/instalment-schedule';
import {
  addInstalmentPlanRecords,
  instalmentPlanWorkflowInput,
  newInstalmentPlanFields,
  startAndAwaitFirstState,
  toPlanInstalments,
  type PlanServiceDeps,
} from '../../../services/instalment-plans/start-instalment-plan';
import { instalmentPlanWorkflowId } from '../../../workflows/instalment-plan/contract';
import { openServiceStack, type ServiceStack } from '../../support/service-stack';
import { createCustomer } from '../../support/fixtures';

const TASK_QUEUE = `service-tests-${randomUUID()}`;
const NOW = new Date('2026-03-01T00:00:00Z');
let stack: ServiceStack;
let orm: MikroORM;
let temporal: Client;
beforeAll(async () => {
  stack = await openServiceStack();
  ({ orm, temporal } = stack);
});
afterAll(() => stack?.close());

/** A plan of 1000.00 in four monthly parts, as the API would create it. */
async function planSpec() {
  const customer: Customer = await createCustomer(orm, { email: `plan-${randomUUID()}@example.com`, timeZone: 'Europe/Paris' });
  const schedule = buildInstalmentSchedule({ currency: 'USD', total: 100_000, method: 'equal', count: 4, interval: { unit: 'month', count: 1 }, timeZone: customer.timeZone, firstPaymentDate: '2026-03-10T09:00:00Z' });
  const fields = newInstalmentPlanFields({
    id: newId('instalmentPlan'),
    customer,
    schedule,
    description: 'Equipment lease',
    contractReference: 'LEASE-7',
    annualInterestRatePpm: null,
    interval: { unit: 'month', count: 1 },
    collectionMethod: 'send_invoice',
    paymentTerms: 'net_15',
    reminderDaysBefore: 5,
    remindCustomer: true,
    onPermanentFailure: 'pause',
    accountManagerEmail: 'am@seller.example',
    sourceInvoiceId: null,
    metadata: {},
    now: NOW,
  });
  return { customer, schedule, fields, instalments: toPlanInstalments(schedule) };
}

function deps(client: Client): PlanServiceDeps {
  return {
    orm,
    temporal: client,
    taskQueue: TASK_QUEUE,
    withinDeadline: (call) => Promise.race([call(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('deadline')), 200))]),
    refuse: { workflowCallError: (err) => err },
  };
}

describe('addInstalmentPlanRecords', () => {
  it('writes an incomplete plan owing the whole schedule, and its instalments', async () => {
    const { customer, schedule, fields, instalments } = await planSpec();
    await orm.em.fork().transactional((em) => addInstalmentPlanRecords(em, fields, instalments));
    const em = orm.em.fork();
    expect(await em.findOneOrFail(InstalmentPlan, { id: fields.id })).toMatchObject({
      customerId: customer.id,
      status: 'incomplete',
      total: 100_000,
      remainingBalance: 100_000,
      paidAmount: 0,
      timeZone: 'Europe/Paris',
      nextPaymentDate: new Date(schedule.instalments[0]!.dueDate),
      workflowId: instalmentPlanWorkflowId(fields.id),
    });
    const rows = await em.find(Instalment, { planId: fields.id }, { orderBy: { number: 'asc' } });
    expect(rows.map((r) => [r.number, r.amount, r.status, r.dueDate.toISOString()])).toEqual(schedule.instalments.map((i) => [i.number, i.amount, 'scheduled', i.dueDate]));
  });

  it('leaves neither the plan nor an instalment when the transaction fails', async () => {
    const { fields, instalments } = await planSpec();
    await expect(
      orm.em.fork().transactional(async (em) => {
        await addInstalmentPlanRecords(em, fields, instalments);
        throw new Error('the caller failed after writing');
      }),
    ).rejects.toThrow('the caller failed after writing');
    expect(await orm.em.fork().count(InstalmentPlan, { id: fields.id })).toBe(0);
    expect(await orm.em.fork().count(Instalment, { planId: fields.id })).toBe(0);
  });
});

describe('startAndAwaitFirstState', () => {
  it('starts instalment-plan-<id> with the plan settings, once; a slow first state write only warns', async () => {
    const { fields, instalments } = await planSpec();
    const plan = await orm.em.fork().transactional((em) => addInstalmentPlanRecords(em, fields, instalments));
    const warnings: string[] = [];
    await startAndAwaitFirstState(deps(temporal), plan, instalments, { warn: (_obj, msg) => void warnings.push(msg) });
    expect(warnings).toEqual(['instalment plan started; its first state write is still pending']);

    const handle = temporal.workflow.getHandle(instalmentPlanWorkflowId(plan.id));
    expect(await handle.describe()).toMatchObject({ type: 'instalmentPlanWorkflow', taskQueue: TASK_QUEUE, status: { name: 'RUNNING' } });
    const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    const [input] = (started?.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
    expect(input).toEqual(instalmentPlanWorkflowInput(plan, instalments));
    expect(input).toMatchObject({ settings: { collectionMethod: 'send_invoice', reminderDaysBefore: 5, timeZone: 'Europe/Paris', interval: { unit: 'month', count: 1 }, hasInterest: false, onPermanentFailure: 'pause' } });

    await expect(startAndAwaitFirstState(deps(temporal), plan, instalments, { warn: () => undefined })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await handle.terminate('test done');
  });

  it('throws when the workflow cannot start', async () => {
    const { fields, instalments } = await planSpec();
    const plan = await orm.em.fork().transactional((em) => addInstalmentPlanRecords(em, fields, instalments));
    const nowhere = new Client({ connection: temporal.connection, namespace: `missing-${randomUUID()}` });
    await expect(startAndAwaitFirstState(deps(nowhere), plan, instalments, { warn: () => undefined })).rejects.toThrow(/namespace/i);
  });
});
