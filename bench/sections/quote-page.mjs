// The quote acceptance page under a fixed-concurrency load (autocannon): GET /quotes/:token, the
// server-rendered page a customer opens from the emailed link (the link's records, the version, the
// signatures, the brand, the template), measured right after the API's GET /v1/subscriptions/:id so the
// table prints the page beside the API's read path (bench/lib/report.mjs).
//
// The quote is created and sent through the API. Its emailed token exists only in the delivered email
// (the outbox keeps it redacted), so the bench adds one more link of the same signer and version with a
// token of its own, stored as the worker stores one: only its SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import { cpuBetween, readCpu } from '../lib/cpu-usage.mjs';
import { WARMUP_SECONDS, cpuPerRequest, load } from './api-reads.mjs';

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

async function waitFor(check, { timeoutMs = 60_000, what }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A sent quote like the ones customers open: two one-time lines, a discount, a fee, two signers. */
async function sentQuote(stack) {
  const email = `bench-quote-${Date.now()}@example.com`;
  const customer = await stack.call('POST', '/v1/customers', { email, name: 'Ada Lovelace', currency: 'usd' });
  if (customer.status !== 200) throw new Error(`creating the customer answered ${customer.status}`);
  const created = await stack.call('POST', '/v1/quotes', {
    customer: customer.body.id,
    owner: { name: 'Sam Seller', email: 'sam@seller.example' },
    title: 'Analytics rollout',
    lines: [
      { description: 'Onboarding workshop', unit_amount: 60000 },
      { description: 'Dashboard setup', unit_amount: 15000, quantity: 2 },
    ],
    discounts: [{ percent_off: '10', description: 'Launch offer' }],
    fees: [{ description: 'Travel', amount: 4000, taxable: false }],
    signers: [
      { kind: 'customer', name: 'Ada Lovelace', email },
      { kind: 'internal', name: 'Carla Countersign', email: 'carla@seller.example' },
    ],
    terms: 'Payable on acceptance.',
  });
  if (created.status !== 200) throw new Error(`creating the quote answered ${created.status}: ${JSON.stringify(created.body)}`);
  const sent = await stack.call('POST', `/v1/quotes/${created.body.id}/send`);
  if (sent.status !== 200) throw new Error(`sending the quote answered ${sent.status}`);
  return { quoteId: created.body.id, email };
}

/** A link of the quote's customer signer with a token the bench knows (see the top of this file). */
async function linkToken(stack, quoteId) {
  const [emailed] = await waitFor(
    async () => {
      const rows = await stack.sql('select signer_id, signer_email, version, email_key from quote_links where quote_id = $1 limit 1', [quoteId]);
      return rows.length ? rows : null;
    },
    { what: "the quote's emailed link" },
  );
  const token = randomBytes(32).toString('base64url');
  await stack.sql(
    'insert into quote_links (id, quote_id, token_hash, email_key, signer_id, signer_email, version, created_at) values ($1, $2, $3, $4, $5, $6, $7, now())',
    [`qlnk_bench${randomBytes(12).toString('hex')}`, quoteId, sha256(token), emailed.email_key, emailed.signer_id, emailed.signer_email, emailed.version],
  );
  return token;
}

export async function measureQuotePage(stack, { connections, duration, log }) {
  const { quoteId } = await sentQuote(stack);
  const token = await linkToken(stack, quoteId);
  const path = `/quotes/${token}`;
  const first = await fetch(stack.apiUrl + path);
  const html = await first.text();
  if (first.status !== 200 || !html.includes('Analytics rollout')) throw new Error(`the quote page answered ${first.status}`);

  const url = stack.apiUrl + path;
  await load({ url, connections, duration: WARMUP_SECONDS });
  const before = await readCpu(stack);
  const page = await load({ url, connections, duration });
  page.cpuMsPerRequest = cpuPerRequest(cpuBetween(before, await readCpu(stack)), 'api', page.requests);
  log(`page: GET /quotes/:token: p50 ${page.p50Ms} ms, p99 ${page.p99Ms} ms, ${page.requestsPerSecond} pages/s`);
  return { route: 'GET /quotes/:token', path, connections, durationSeconds: duration, htmlBytes: Buffer.byteLength(html), page };
}
