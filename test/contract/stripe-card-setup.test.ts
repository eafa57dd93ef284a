import type { ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { GatewayUnavailableError } from '../../activities/payments/gateway';
import { StripeCardSetup } from '../../activities/payments/stripe-card-setup';
import { createStripeClient, STRIPE_API_VERSION } from '../../activities/payments/stripe-gateway';
import { CardSetupNotFoundError } from '../../services/payments/card-setup';
import { close, listen, readBody, startStripeMock, stopProcess } from '../support/stripe-mock';

/**
 * Contract test of card setup through Stripe (SetupIntents, the customer they attach the card to):
 * against stripe-mock, which rejects any parameter Stripe's OpenAPI spec does not allow, through a
 * recording proxy that can also settle a SetupIntent the way the browser's confirmSetup leaves it
 * (stripe-mock keeps no state). Errors stripe-mock cannot produce come from a scripted server.
 */

const stripeMockPath = process.env.STRIPE_MOCK_PATH;
if (!stripeMockPath) throw new Error('STRIPE_MOCK_PATH is not set: point it at a stripe-mock binary.');

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  params: URLSearchParams;
  status?: number;
}

describe('StripeCardSetup against stripe-mock', () => {
  let stripeMock: ChildProcess | undefined;
  let proxy: Server | undefined;
  let cards: StripeCardSetup;
  const recorded: Recorded[] = [];
  /** Fields to overwrite in stripe-mock's answer: what the live API holds after the customer confirmed. */
  let settle: Record<string, unknown> | undefined;

  beforeAll(async () => {
    const mock = await startStripeMock(stripeMockPath);
    stripeMock = mock.process;
    proxy = createServer(async (req, res) => {
      const body = await readBody(req);
      const entry: Recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, params: new URLSearchParams(body) };
      recorded.push(entry);
      const upstream = httpRequest({ host: '127.0.0.1', port: mock.port, method: req.method, path: req.url, headers: req.headers }, async (answer) => {
        entry.status = answer.statusCode;
        let text = await readBody(answer);
        if (settle && answer.statusCode === 200) text = JSON.stringify({ ...JSON.parse(text), ...settle });
        res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
        res.end(text);
      });
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(error.message);
      });
      upstream.end(body);
    });
    cards = new StripeCardSetup(createStripeClient({ secretKey: 'sk_test_123', apiBase: `http://127.0.0.1:${await listen(proxy)}` }));
  });

  afterAll(async () => {
    await close(proxy);
    await stopProcess(stripeMock);
  });

  beforeEach(() => {
    recorded.length = 0;
    settle = undefined;
  });

  it('creates a card-only, off-session SetupIntent for the gateway customer, with our ids, and hands back its client secret', async () => {
    const setup = await cards.createSetup({ gatewayCustomerId: 'cus_NffrFeUfNV2Hib', metadata: { customer_id: 'cus_0190abc' } });

    expect(setup.id).toMatch(/^seti_/);
    expect(setup.clientSecret).toMatch(/^seti_.+_secret_/);
    const [sent] = recorded;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/setup_intents');
    expect(sent?.status).toBe(200);
    expect(sent?.headers['stripe-version']).toBe(STRIPE_API_VERSION);
    expect(Object.fromEntries(sent?.params ?? [])).toEqual({
      customer: 'cus_NffrFeUfNV2Hib',
      'allowed_payment_method_types[0]': 'card',
      usage: 'off_session',
      'metadata[customer_id]': 'cus_0190abc',
    });
  });

  it('leaves the customer out when the card is entered before one exists', async () => {
    await cards.createSetup({ gatewayCustomerId: null, metadata: {} });

    expect(recorded[0]?.status).toBe(200);
    expect(recorded[0]?.params.has('customer')).toBe(false);
  });

  it('reads a SetupIntent back: its status, the saved card and the customer it is attached to', async () => {
    settle = { status: 'succeeded', payment_method: 'pm_1Saved', customer: 'cus_NffrFeUfNV2Hib', metadata: { customer_id: 'cus_0190abc' } };

    await expect(cards.retrieveSetup('seti_1Confirmed')).resolves.toEqual({
      id: 'seti_1Confirmed',
      status: 'succeeded',
      paymentMethod: 'pm_1Saved',
      gatewayCustomerId: 'cus_NffrFeUfNV2Hib',
      metadata: { customer_id: 'cus_0190abc' },
    });
    expect(recorded[0]).toMatchObject({ method: 'GET', path: '/v1/setup_intents/seti_1Confirmed', status: 200 });
  });

  it('reads an unconfirmed SetupIntent as stripe-mock has it: not succeeded, no card', async () => {
    const setup = await cards.retrieveSetup('seti_1Unconfirmed');

    expect(setup.status).toBe('requires_payment_method');
    expect(setup.paymentMethod).toBeNull();
  });

  it('creates the gateway customer once per customer of ours (idempotency key from our id)', async () => {
    const id = await cards.createCustomer({ customerId: 'cus_0190abc', email: 'ada@example.com', name: 'Ada Lovelace' });

    expect(id).toMatch(/^cus_/);
    expect(recorded[0]).toMatchObject({ method: 'POST', path: '/v1/customers', status: 200 });
    expect(recorded[0]?.headers['idempotency-key']).toBe('customer-cus_0190abc');
    expect(Object.fromEntries(recorded[0]?.params ?? [])).toEqual({ email: 'ada@example.com', name: 'Ada Lovelace', 'metadata[customer_id]': 'cus_0190abc' });
  });

  it('attaches a card saved without a customer to one', async () => {
    await cards.attachCard('pm_1Saved', 'cus_NffrFeUfNV2Hib');

    expect(recorded[0]).toMatchObject({ method: 'POST', path: '/v1/payment_methods/pm_1Saved/attach', status: 200 });
    expect(recorded[0]?.params.get('customer')).toBe('cus_NffrFeUfNV2Hib');
  });
});

describe('StripeCardSetup against Stripe’s documented errors', () => {
  let server: Server | undefined;
  let cards: StripeCardSetup;
  let reply: { status: number; body: unknown };

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      await readBody(req);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
    cards = new StripeCardSetup(createStripeClient({ secretKey: 'sk_test_123', apiBase: `http://127.0.0.1:${await listen(server)}` }));
  });

  afterAll(() => close(server));

  it('tells an unknown SetupIntent id apart', async () => {
    reply = { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'intent', message: "No such setupintent: 'seti_forged'" } } };

    await expect(cards.retrieveSetup('seti_forged')).rejects.toBeInstanceOf(CardSetupNotFoundError);
  });

  it('reports Stripe being unavailable as an unknown outcome', async () => {
    reply = { status: 503, body: { error: { type: 'api_error', message: 'Service unavailable' } } };

    await expect(cards.createSetup({ gatewayCustomerId: null, metadata: {} })).rejects.toBeInstanceOf(GatewayUnavailableError);
  });

  it('throws a plain error for a rejected request (bad key, bad parameter)', async () => {
    reply = { status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_***' } } };

    const creating = cards.createSetup({ gatewayCustomerId: null, metadata: {} });
    await expect(creating).rejects.toThrow(/Stripe rejected the SetupIntent create/);
    await expect(creating).rejects.not.toBeInstanceOf(GatewayUnavailableError);
  });
});
