// The checkout page of a payment link under the same fixed-concurrency load as the quote page:
// GET /pay/:linkId, what a buyer opens first (the link, its prices priced by the invoice pricing code,
// the brand, the card form, a CSRF token), measured right after the quote page so the table prints
// both beside the API's GET /v1/subscriptions/:id (bench/lib/report.mjs).
import { cpuBetween, readCpu } from '../lib/cpu-usage.mjs';
import { WARMUP_SECONDS, cpuPerRequest, load } from './api-reads.mjs';

/** A link selling a monthly plan and a one-time setup fee, as a shop's pricing page would. */
async function paymentLink(stack) {
  const created = async (path, body) => {
    const res = await stack.call('POST', path, body);
    if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const product = await created('/v1/products', { name: 'Analytics plan' });
  const monthly = await created('/v1/prices', { product: product.id, currency: 'usd', unit_amount: 4900, recurring: { interval: 'month' } });
  const setup = await created('/v1/prices', { product: product.id, currency: 'usd', unit_amount: 15000 });
  return created('/v1/payment-links', {
    line_items: [
      { price: monthly.id, quantity: 1, adjustable_quantity: { enabled: true, minimum: 1, maximum: 10 } },
      { price: setup.id, quantity: 1 },
    ],
  });
}

export async function measureCheckoutPage(stack, { connections, duration, log }) {
  const link = await paymentLink(stack);
  const path = new URL(link.url).pathname;
  const url = stack.apiUrl + path;
  const first = await fetch(url);
  const html = await first.text();
  if (first.status !== 200 || !html.includes('Analytics plan')) throw new Error(`the checkout page answered ${first.status}`);

  await load({ url, connections, duration: WARMUP_SECONDS });
  const before = await readCpu(stack);
  const page = await load({ url, connections, duration });
  page.cpuMsPerRequest = cpuPerRequest(cpuBetween(before, await readCpu(stack)), 'api', page.requests);
  log(`page: GET /pay/:linkId: p50 ${page.p50Ms} ms, p99 ${page.p99Ms} ms, ${page.requestsPerSecond} pages/s`);
  return { title: 'Checkout page', route: 'GET /pay/:linkId', path, connections, durationSeconds: duration, htmlBytes: Buffer.byteLength(html), page };
}
