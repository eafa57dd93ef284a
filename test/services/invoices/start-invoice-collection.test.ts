/**
 * Starting an invoice's collection on the Temporal dev server (no worker polls the queue, so a started
 * workflow simply stays running): one workflow per invoice, ever; a repeated start is a no-op, even
 * once the first has ended; a start Temporal refuses reaches the caller.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { newId } from '../../../db/ids';
import { startInvoiceCollection } from '../../../services/invoices/start-invoice-collection';
import { invoiceCollectionWorkflowId, type InvoiceCollectionInput } from '../../../workflows/invoice-collection/contract';
import { requireEnv } from '../../support/env';

const TASK_QUEUE = `service-tests-${randomUUID()}`;
let connection: Connection;
let temporal: Client;
beforeAll(async () => {
  connection = await Connection.connect({ address: requireEnv('TEMPORAL_ADDRESS') });
  temporal = new Client({ connection, namespace: requireEnv('TEMPORAL_NAMESPACE') });
});
afterAll(async () => {
  await connection?.close();
});

const input = (overrides: Partial<InvoiceCollectionInput> = {}): InvoiceCollectionInput => ({
  invoiceId: newId('invoice'),
  customerId: newId('customer'),
  collectionMethod: 'send_invoice',
  ownerWorkflowId: null,
  ...overrides,
});

describe('startInvoiceCollection', () => {
  it('starts invoice-<id> on the task queue with the input, tagged with the customer', async () => {
    const collection = input({ collectionMethod: 'charge_automatically', ownerWorkflowId: 'subscription-sub_x' });
    await startInvoiceCollection(temporal, TASK_QUEUE, collection);
    const handle = temporal.workflow.getHandle(invoiceCollectionWorkflowId(collection.invoiceId));
    const described = await handle.describe();
    expect(described).toMatchObject({ type: 'invoiceCollectionWorkflow', taskQueue: TASK_QUEUE, status: { name: 'RUNNING' } });
    expect(described.typedSearchAttributes.getAll()).toEqual([expect.objectContaining({ key: expect.objectContaining({ name: 'CustomerId' }), value: collection.customerId })]);
    const history = await handle.fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect((started?.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([collection]);
    await handle.terminate('test done');
  });

  it('does nothing the second time for the same invoice, running or already ended', async () => {
    const collection = input();
    await startInvoiceCollection(temporal, TASK_QUEUE, collection);
    const handle = temporal.workflow.getHandle(invoiceCollectionWorkflowId(collection.invoiceId));
    const { runId } = await handle.describe();

    await expect(startInvoiceCollection(temporal, TASK_QUEUE, collection)).resolves.toBeUndefined();
    expect((await handle.describe()).runId).toBe(runId);

    // Ended (here: terminated): one collection per invoice, ever, so it is not started again.
    await handle.terminate('collected elsewhere');
    await expect(startInvoiceCollection(temporal, TASK_QUEUE, collection)).resolves.toBeUndefined();
    const after = await handle.describe();
    expect(after).toMatchObject({ runId, status: { name: 'TERMINATED' } });
  });

  it('passes on a start Temporal refuses', async () => {
    const nowhere = new Client({ connection, namespace: `missing-${randomUUID()}` });
    const collection = input();
    await expect(startInvoiceCollection(nowhere, TASK_QUEUE, collection)).rejects.toThrow(/namespace/i);
    await expect(temporal.workflow.getHandle(invoiceCollectionWorkflowId(collection.invoiceId)).describe()).rejects.toThrow(/not found/i);
  });
});
