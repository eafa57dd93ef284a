/**
 * Creating an instalment plan against real PostgreSQL and the Temporal dev server (no worker polls the
 * queue, so the started workflow stays running and never records its first state): the plan and its
 * instalments are written and its workflow runs; when the workflow cannot start, nothing is left; a
 * refused request writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { MikroORM } from '../../../db/orm';
import { Instalment, InstalmentPlan, type Customer } from '../../../db/entities';
import { RuleViolation } from '../../../domain/rule-violation';
import { createInstalmentPlan } from '../../../services/instalment-plans/create-instalment-plan';
import type { PlanServiceDeps } from '../../../services/instalment-plans/start-instalment-plan';
import { instalmentPlanWorkflowId } from '../../../workflows/instalment-plan/contract';
import { openServiceStack, type ServiceStack } from '../../support/service-stack';
import { createCustomer } from '../../support/fixtures';

const TASK_QUEUE = `service-tests-${randomUUID()}`;
let stack: ServiceStack;
let orm: MikroORM;
let temporal: Client;
beforeAll(async () => {
  stack = await openServiceStack();
  ({ orm, temporal } = stack);
});
afterAll(() => stack?.close());

/** What a caller's workflow-error wording gets: kept so the test can read which plan failed. */
class StartRefused extends Error {
  constructor(
    readonly what: string,
    override readonly cause: unknown,
  ) {
    super(what);
  }
}

function deps(client: Client): PlanServiceDeps {
  return {
    orm,
    temporal: client,
    taskQueue: TASK_QUEUE,
    // No worker runs here: the wait for the first state write gives up at once.
    withinDeadline: (call) => Promise.race([call(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('deadline')), 200))]),
    refuse: { workflowCallError: (err, what) => new StartRefused(what, err) },
  };
}
const log = (warnings: string[]) => ({ warn: (_obj: object, msg: string) => void warnings.push(msg) });

const customer = (overrides: Partial<Customer> = {}) => createCustomer(orm, { email: `plan-${randomUUID()}@example.com`, ...overrides });
const threeMonthly = (customerId: string) => ({ customer: customerId, total: 100_000, method: 'equal' as const, count: 3, interval: 'month' as const });

describe('createInstalmentPlan', () => {
  it('writes the plan and its instalments and leaves its workflow running', async () => {
    const { id: customerId } = await customer();
    const warnings: string[] = [];
    const id = await createInstalmentPlan(deps(temporal), threeMonthly(customerId), log(warnings));

    const em = orm.em.fork();
    expect(await em.findOneOrFail(InstalmentPlan, { id })).toMatchObject({ customerId, status: 'incomplete', total: 100_000, workflowId: instalmentPlanWorkflowId(id) });
    const instalments = await em.find(Instalment, { planId: id }, { orderBy: { number: 'asc' } });
    expect(instalments.map((i) => i.amount)).toEqual([33_334, 33_333, 33_333]);

    const handle = temporal.workflow.getHandle(instalmentPlanWorkflowId(id));
    expect(await handle.describe()).toMatchObject({ type: 'instalmentPlanWorkflow', taskQueue: TASK_QUEUE, status: { name: 'RUNNING' } });
    expect(warnings).toEqual(['instalment plan started; its first state write is still pending']);
    await handle.terminate('test done');
  });

  it('leaves no plan and no instalment when the workflow cannot start', async () => {
    const { id: customerId } = await customer();
    const nowhere = new Client({ connection: temporal.connection, namespace: `missing-${randomUUID()}` });
    const err = await createInstalmentPlan(deps(nowhere), threeMonthly(customerId), log([])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartRefused);
    const planId = /Cannot start instalment plan (\S+)/.exec((err as StartRefused).what)?.[1];
    expect(planId).toBeDefined();
    const em = orm.em.fork();
    expect(await em.count(InstalmentPlan, { customerId })).toBe(0);
    expect(await em.count(Instalment, { planId })).toBe(0);
  });

  it('refuses a customer with nothing to charge before writing or starting anything', async () => {
    const { id: customerId } = await customer({ defaultPaymentMethod: null });
    const err = await createInstalmentPlan(deps(temporal), threeMonthly(customerId), log([])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RuleViolation);
    expect(err).toMatchObject({ code: 'no_payment_method', param: 'customer' });
    expect(await orm.em.fork().count(InstalmentPlan, { customerId })).toBe(0);
  });
});
