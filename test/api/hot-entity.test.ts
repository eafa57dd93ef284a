/**
 * One entity changed by many clients at once until its workflow run hands over to a new one, then on
 * into the new run. A run that took changes without end once hit the 2,000 updates Temporal takes in one
 * run and refused every change until its next billing date; runs now continue as new when the server
 * suggests it or at UPDATES_PER_RUN applied updates, whichever comes first (run-length.ts). Every
 * change must end with its true outcome: 200 applied, or a refusal that applied nothing; answers that
 * are not outcomes (202 pending, 409 lock_timeout) are retried with the same Idempotency-Key. The
 * applied pauses and resumes must alternate (an applied change answered as refused, or the reverse,
 * breaks the count), the entity's final state must be the last applied change's, and the workflow
 * must have continued as new on the way.
 *
 * The file runs on a Temporal server of its own that suggests continue-as-new at
 * SUGGEST_CONTINUE_AS_NEW_AT history events instead of the default 4,096: the handover comes after
 * about a hundred applied changes instead of 250, by the same path a production run takes. A storm
 * stops AFTER_HANDOVER changes after the new run is seen, rather than at a fixed size: how many
 * changes it takes depends on how the clients interleave (a refused change applies nothing), and the
 * fixed 2,500 changes per storm used before cost minutes of every test run.
 */
import { randomUUID } from 'node:crypto';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { startOwnDevServer, type OwnDevServer } from '../support/own-dev-server';
import { eventually } from '../support/eventually';
import { appliedCounts, hotEntityStorm, type ChangeOutcome } from '../support/hot-entity-clients';

let api: ApiHarness;
let temporal: OwnDevServer;

/** History events at which this file's server suggests continue-as-new (Temporal's default: 4,096). */
const SUGGEST_CONTINUE_AS_NEW_AT = 1_500;

/** A 2,500-change storm (the cap) took 45–85 s alone; beside the fault-injection run on 2 cores over 120 s. */
const STORM_TIMEOUT_MS = 360_000;

beforeAll(async () => {
  temporal = await startOwnDevServer({ 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AT });
  api = await startApiHarness({ temporalAddress: temporal.address });
});
afterAll(async () => {
  await api?.close();
  await temporal?.stop();
});

/** The cap: a run that never hands over fails the test here rather than storming on. */
const CHANGES_AT_MOST = 2_500;
/** Changes sent once the new run is seen: the handover happens under load, and the new run takes changes. */
const AFTER_HANDOVER = 150;
const CLIENTS = 10;

async function newCustomer(): Promise<string> {
  const customer = await api.call('sales', 'POST', '/v1/customers', {
    email: `hot-${randomUUID()}@example.com`,
    name: 'Hot entity',
    currency: 'usd',
    default_payment_method: 'pm_card_visa',
  });
  expect(customer.status).toBe(200);
  return customer.body.id;
}

/** Every change ended applied (200) or refused by the entity's rule (409 naming it), nothing else. */
function expectOnlyOutcomes(outcomes: readonly ChangeOutcome[]): void {
  expect(outcomes.length).toBeLessThan(CHANGES_AT_MOST); // ended after the handover, not at the cap
  const unexpected = outcomes.filter((o) => o.status !== 200 && !(o.status === 409 && o.code !== 'lock_timeout'));
  expect(unexpected).toEqual([]);
}

const runIdOf = async (workflowId: string): Promise<string> => (await api.temporal.workflow.getHandle(workflowId).describe()).runId;

/** Storms `entityUrl` until `workflowId`'s run is no longer `firstRun`, then AFTER_HANDOVER changes more. */
const stormAcrossHandover = (entityUrl: string, workflowId: string, firstRun: string): Promise<ChangeOutcome[]> =>
  hotEntityStorm(api, entityUrl, ['pause', 'resume'], CHANGES_AT_MOST, CLIENTS, {
    reached: async () => (await runIdOf(workflowId)) !== firstRun,
    then: AFTER_HANDOVER,
  });

test(`pauses and resumes of one subscription from ${CLIENTS} clients until its run hands over: each answered with its outcome, across continue-as-new`, async () => {
  const product = (await api.call('admin', 'POST', '/v1/products', { name: 'Hot' })).body.id;
  const price = (await api.call('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } })).body.id;
  const created = await api.call('sales', 'POST', '/v1/subscriptions', { customer: await newCustomer(), price });
  expect(created.status).toBe(200);
  const sub = await eventually(async () => {
    const s = await api.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`);
    expect(s.body.status).toBe('active');
    expect(s.body.current_period?.index).toBe(0);
    return s.body;
  });
  const firstRun = await runIdOf(sub.workflow_id);

  const outcomes = await stormAcrossHandover(`/v1/subscriptions/${sub.id}`, sub.workflow_id, firstRun);

  expectOnlyOutcomes(outcomes);
  const { pause = 0, resume = 0 } = appliedCounts(outcomes);
  // From active, applied changes alternate pause, resume, pause...: the last one decides the state.
  expect(pause - resume).toBeGreaterThanOrEqual(0);
  expect(pause - resume).toBeLessThanOrEqual(1);
  expect(pause + resume).toBeGreaterThan(AFTER_HANDOVER / 3); // a storm of changes applied, not a trickle
  const final = await api.call('operator', 'GET', `/v1/subscriptions/${sub.id}`);
  expect(final.body.status).toBe(pause > resume ? 'paused' : 'active');
  expect(await runIdOf(sub.workflow_id)).not.toBe(firstRun);
  // Still listening: one more change after the storm applies.
  const next = await api.call('operator', 'POST', `/v1/subscriptions/${sub.id}/${pause > resume ? 'resume' : 'pause'}`);
  expect(next.status).toBe(200);
}, STORM_TIMEOUT_MS);

test(`pauses and resumes of one instalment plan from ${CLIENTS} clients until its run hands over: each answered with its outcome, across continue-as-new`, async () => {
  const cus = await newCustomer();
  const draft = await api.call('sales', 'POST', '/v1/invoices', {
    customer: cus,
    collection_method: 'send_invoice',
    lines: [{ description: 'Machine delivery', unit_amount: 1_200_00 }],
  });
  expect(draft.status).toBe(200);
  expect((await api.call('sales', 'POST', `/v1/invoices/${draft.body.id}/finalize`)).status).toBe(200);
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  const created = await api.call('sales', 'POST', '/v1/instalment-plans', {
    invoice: draft.body.id,
    method: 'custom',
    instalments: [30, 60].map((days) => ({ due_date: inDays(days), percent: '50' })),
    collection_method: 'charge_automatically',
  });
  expect(created.status).toBe(200);
  expect(created.body.status).toBe('active');
  const plan = created.body;
  const workflowId = `instalment-plan-${plan.id}`;
  const firstRun = await runIdOf(workflowId);

  const outcomes = await stormAcrossHandover(`/v1/instalment-plans/${plan.id}`, workflowId, firstRun);

  expectOnlyOutcomes(outcomes);
  const { pause = 0, resume = 0 } = appliedCounts(outcomes);
  expect(pause - resume).toBeGreaterThanOrEqual(0);
  expect(pause - resume).toBeLessThanOrEqual(1);
  expect(pause + resume).toBeGreaterThan(AFTER_HANDOVER / 3); // a storm of changes applied, not a trickle
  const final = await api.call('operator', 'GET', `/v1/instalment-plans/${plan.id}`);
  expect(final.body.status).toBe(pause > resume ? 'paused' : 'active');
  expect(await runIdOf(workflowId)).not.toBe(firstRun);
  const next = await api.call('operator', 'POST', `/v1/instalment-plans/${plan.id}/${pause > resume ? 'resume' : 'pause'}`);
  expect(next.status).toBe(200);
}, STORM_TIMEOUT_MS);
