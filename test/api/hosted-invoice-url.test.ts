/**
 * `hosted_invoice_url` (Stripe's name) on invoice resources: null while the invoice is a draft, then
 * PUBLIC_URL/invoices/<id>/<token> on every read once it is finalized (computed, stored nowhere), the
 * same link the invoice email carries.
 */
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { TEST_LINK_SIGNING_SECRET, TEST_PUBLIC_URL } from '../support/billing-worker';
import { invoiceLinkToken } from '../../services/access/invoice-links';
import { eventually } from '../support/eventually';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

test('a draft has no hosted_invoice_url; a finalized invoice has its signed link on create, retrieve, list and portal reads', async () => {
  const customer = await api.call('sales', 'POST', '/v1/customers', { email: `hosted-${Date.now()}@example.com`, name: 'Hosted Client', currency: 'usd' });
  expect(customer.status).toBe(200);
  const draft = await api.call('sales', 'POST', '/v1/invoices', {
    customer: customer.body.id,
    collection_method: 'send_invoice',
    payment_terms: 'net_15',
    lines: [{ description: 'Audit', unit_amount: 30_000 }],
  });
  expect(draft.status).toBe(200);
  expect(draft.body).toMatchObject({ status: 'draft', hosted_invoice_url: null });
  const id: string = draft.body.id;
  expect((await api.call('operator', 'GET', `/v1/invoices/${id}`)).body.hosted_invoice_url).toBeNull();
  const draftsListed = await api.call('operator', 'GET', `/v1/invoices?customer=${customer.body.id}`);
  expect(draftsListed.body.data.map((i: { hosted_invoice_url: unknown }) => i.hosted_invoice_url)).toEqual([null]);

  const finalized = await api.call('operator', 'POST', `/v1/invoices/${id}/finalize`);
  expect(finalized.status).toBe(200);
  const expected = `${TEST_PUBLIC_URL}/invoices/${id}/${invoiceLinkToken(TEST_LINK_SIGNING_SECRET, id)}`;
  expect(finalized.body).toMatchObject({ status: 'open', hosted_invoice_url: expected });
  expect((await api.call('operator', 'GET', `/v1/invoices/${id}`)).body.hosted_invoice_url).toBe(expected);
  const listed = await api.call('operator', 'GET', `/v1/invoices?customer=${customer.body.id}`);
  expect(listed.body.data.map((i: { hosted_invoice_url: unknown }) => i.hosted_invoice_url)).toEqual([expected]);

  const session = await api.call('operator', 'POST', `/v1/customers/${customer.body.id}/portal-sessions`, {});
  expect(session.status).toBe(200);
  const portalList = await api.app.inject({ method: 'GET', url: '/v1/portal/invoices', headers: { authorization: `Bearer ${session.body.token}` } });
  expect(portalList.statusCode).toBe(200);
  expect(JSON.parse(portalList.body).data[0].hosted_invoice_url).toBe(expected);

  // The invoice email leads to the same page.
  await eventually(() => {
    const sent = api.mailer.delivered.find((e) => e.idempotencyKey === `invoice_sent:${id}`);
    expect(sent?.text).toContain(expected);
    expect(sent?.html.replace(/&#x2F;/g, '/')).toContain(`href="${expected}"`);
  });
});
