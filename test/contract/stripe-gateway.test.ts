import type { ChildProcess } from 'node:child_process';
import { createServer, IncomingHttpHeaders, request as httpRequest, Server } from 'node:http';
import { ChargeRequest, GatewayUnavailableError, RefundRequest } from '../../activities/payments/gateway';
import { createStripeClient, STRIPE_API_VERSION, StripeGateway } from '../../activities/payments/stripe-gateway';
import { close, listen, readBody, startStripeMock, stopProcess } from '../support/stripe-mock';

/**
 * Contract test of the Stripe adapter. Part one runs it against stripe-mock, which validates every
 * request against Stripe's OpenAPI spec and answers with spec-shaped objects. stripe-mock cannot
 * decline or fail, so part two points the adapter at a scripted server that answers the way Stripe
 * documents its errors.
 */

const stripeMockPath = process.env.STRIPE_MOCK_PATH;
if (!stripeMockPath) {
  throw new Error(
    'STRIPE_MOCK_PATH is not set: point it at a stripe-mock binary (go install github.com/stripe/stripe-mock@latest).',
  );
}

interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  params: URLSearchParams;
  responseStatus?: number;
}

const refund: RefundRequest = {
  gatewayChargeId: 'pi_3Charged',
  amount: 1500,
  currency: 'USD',
  idempotencyKey: 'refund-re_123',
  reason: 'requested_by_customer',
  metadata: { refund_id: 're_123', payment_id: 'pay_1' },
};

const charge: ChargeRequest = {
  amount: 4900,
  currency: 'USD',
  paymentMethod: 'pm_card_visa',
  gatewayCustomerId: 'cus_NffrFeUfNV2Hib',
  idempotencyKey: 'inv_123:attempt-1',
  description: 'Invoice INV-0001',
  metadata: { invoiceId: 'inv_123', subscriptionId: 'sub_9' },
};

describe('StripeGateway against stripe-mock', () => {
  let stripeMock: ChildProcess | undefined;
  let proxy: Server | undefined;
  let gateway: StripeGateway;
  const recorded: RecordedRequest[] = [];
  /**
   * stripe-mock answers every create with the same hard-coded PaymentIntent fixture (status
   * requires_payment_method). When set, the proxy swaps in the status the live API gives after
   * confirming a test card; every other field stays stripe-mock's.
   */
  let settleAs: string | undefined;

  beforeAll(async () => {
    const mock = await startStripeMock(stripeMockPath);
    stripeMock = mock.process;

    // A recording proxy in front of stripe-mock: shows what went over the wire (headers included).
    proxy = createServer(async (req, res) => {
      const body = await readBody(req);
      const entry: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        params: new URLSearchParams(body),
      };
      recorded.push(entry);
      const upstream = httpRequest(
        { host: '127.0.0.1', port: mock.port, method: req.method, path: req.url, headers: req.headers },
        async (upstreamRes) => {
          entry.responseStatus = upstreamRes.statusCode;
          let answer = await readBody(upstreamRes);
          if (settleAs !== undefined && upstreamRes.statusCode === 200) {
            answer = JSON.stringify({ ...JSON.parse(answer), status: settleAs });
          }
          res.writeHead(upstreamRes.statusCode ?? 502, { 'content-type': 'application/json' });
          res.end(answer);
        },
      );
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(error.message);
      });
      upstream.end(body);
    });
    const proxyPort = await listen(proxy);
    gateway = new StripeGateway(createStripeClient({ secretKey: 'sk_test_123', apiBase: `http://127.0.0.1:${proxyPort}` }));
  });

  afterAll(async () => {
    await close(proxy);
    await stopProcess(stripeMock);
  });

  beforeEach(() => {
    recorded.length = 0;
    settleAs = undefined;
  });

  it('sends a PaymentIntent create that Stripe’s OpenAPI spec accepts', async () => {
    settleAs = 'succeeded';
    await gateway.charge(charge);

    expect(recorded).toHaveLength(1);
    const [sent] = recorded;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/payment_intents');
    // stripe-mock answers 400 to anything the spec does not allow (unknown or mistyped params).
    expect(sent?.responseStatus).toBe(200);
    expect(Object.fromEntries(sent?.params ?? [])).toEqual({
      amount: '4900',
      currency: 'usd',
      customer: 'cus_NffrFeUfNV2Hib',
      payment_method: 'pm_card_visa',
      confirm: 'true',
      off_session: 'true',
      'automatic_payment_methods[enabled]': 'true',
      'automatic_payment_methods[allow_redirects]': 'never',
      description: 'Invoice INV-0001',
      'metadata[invoiceId]': 'inv_123',
      'metadata[subscriptionId]': 'sub_9',
    });
  });

  it('sends our idempotency key and the pinned API version', async () => {
    settleAs = 'succeeded';
    await gateway.charge(charge);

    expect(recorded[0]?.headers['idempotency-key']).toBe('inv_123:attempt-1');
    expect(recorded[0]?.headers['stripe-version']).toBe(STRIPE_API_VERSION);
  });

  it('leaves out the customer when the payment method is not attached to one', async () => {
    settleAs = 'succeeded';
    await gateway.charge({ ...charge, gatewayCustomerId: undefined });

    expect(recorded[0]?.responseStatus).toBe(200);
    expect(recorded[0]?.params.has('customer')).toBe(false);
  });

  it('maps a succeeded PaymentIntent to a succeeded charge with its pi_ id', async () => {
    settleAs = 'succeeded';
    const outcome = await gateway.charge(charge);

    expect(outcome).toEqual({ status: 'succeeded', gatewayChargeId: expect.stringMatching(/^pi_\w+$/) });
  });

  it('maps stripe-mock’s unsettled fixture (requires_payment_method) to a failed charge that keeps the pi_ id', async () => {
    const outcome = await gateway.charge(charge);

    expect(outcome).toMatchObject({ status: 'failed', gatewayChargeId: expect.stringMatching(/^pi_\w+$/) });
  });

  it('sends a refund create that Stripe’s OpenAPI spec accepts, with our idempotency key', async () => {
    await gateway.refund(refund);

    expect(recorded).toHaveLength(1);
    const [sent] = recorded;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/refunds');
    expect(sent?.responseStatus).toBe(200);
    expect(Object.fromEntries(sent?.params ?? [])).toEqual({
      payment_intent: 'pi_3Charged',
      amount: '1500',
      reason: 'requested_by_customer',
      'metadata[refund_id]': 're_123',
      'metadata[payment_id]': 'pay_1',
    });
    expect(sent?.headers['idempotency-key']).toBe('refund-re_123');
    expect(sent?.headers['stripe-version']).toBe(STRIPE_API_VERSION);
  });

  it.each(['duplicate', 'fraudulent'] as const)('passes the %s reason through', async (reason) => {
    await gateway.refund({ ...refund, reason });

    expect(recorded[0]?.responseStatus).toBe(200);
    expect(recorded[0]?.params.get('reason')).toBe(reason);
  });

  it('leaves out the reason when there is none', async () => {
    await gateway.refund({ ...refund, reason: null });

    expect(recorded[0]?.responseStatus).toBe(200);
    expect(recorded[0]?.params.has('reason')).toBe(false);
  });

  it.each([
    ['succeeded', 'succeeded'],
    ['pending', 'pending'],
    ['requires_action', 'pending'],
  ] as const)('maps a %s Refund to a %s refund with its re_ id', async (stripeStatus, status) => {
    settleAs = stripeStatus;

    await expect(gateway.refund(refund)).resolves.toEqual({ status, gatewayRefundId: expect.stringMatching(/^re_\w+$/) });
  });

  it('maps a failed or canceled Refund to a failed refund that keeps the re_ id', async () => {
    settleAs = 'failed';
    await expect(gateway.refund(refund)).resolves.toMatchObject({ status: 'failed', gatewayRefundId: expect.stringMatching(/^re_\w+$/) });
    settleAs = 'canceled';
    await expect(gateway.refund(refund)).resolves.toMatchObject({ status: 'failed', failureReason: 'canceled' });
  });

  it('retrieves a refund by id with a request the spec accepts', async () => {
    settleAs = 'succeeded';
    const outcome = await gateway.retrieveRefund('re_1Pending');

    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.method).toBe('GET');
    expect(recorded[0]?.path).toBe('/v1/refunds/re_1Pending');
    expect(recorded[0]?.responseStatus).toBe(200);
    expect(outcome).toEqual({ status: 'succeeded', gatewayRefundId: expect.stringMatching(/^re_\w+$/) });
  });
});

interface ScriptedReply {
  status: number;
  body: unknown;
}

describe('StripeGateway error mapping', () => {
  let server: Server | undefined;
  let gateway: StripeGateway;
  let reply: ScriptedReply;
  const idempotencyKeys: (string | undefined)[] = [];

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      await readBody(req);
      const key = req.headers['idempotency-key'];
      idempotencyKeys.push(Array.isArray(key) ? key[0] : key);
      res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': 'req_scripted' });
      res.end(JSON.stringify(reply.body));
    });
    const port = await listen(server);
    gateway = new StripeGateway(createStripeClient({ secretKey: 'sk_test_123', apiBase: `http://127.0.0.1:${port}` }));
  });

  afterAll(() => close(server));

  beforeEach(() => {
    idempotencyKeys.length = 0;
  });

  const paymentIntent = (status: string) => ({ id: 'pi_3Scripted', object: 'payment_intent', status, last_payment_error: null });

  it('maps a card decline to a failed charge with the decline code and the PaymentIntent id', async () => {
    reply = {
      status: 402,
      body: {
        error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'insufficient_funds',
          message: 'Your card has insufficient funds.',
          payment_intent: { ...paymentIntent('requires_payment_method'), id: 'pi_3Declined' },
        },
      },
    };

    await expect(gateway.charge(charge)).resolves.toEqual({
      status: 'failed',
      gatewayChargeId: 'pi_3Declined',
      failureCode: 'insufficient_funds',
      failureMessage: 'Your card has insufficient funds.',
    });
    expect(idempotencyKeys).toEqual(['inv_123:attempt-1']);
  });

  it('falls back to the error code when a card error has no decline code', async () => {
    reply = {
      status: 402,
      body: { error: { type: 'card_error', code: 'expired_card', message: 'Your card has expired.' } },
    };

    await expect(gateway.charge(charge)).resolves.toEqual({
      status: 'failed',
      failureCode: 'expired_card',
      failureMessage: 'Your card has expired.',
    });
  });

  it('reports an unknown outcome on a 500, after the SDK retried with the same key', async () => {
    reply = { status: 500, body: { error: { type: 'api_error', message: 'An unknown error occurred' } } };

    await expect(gateway.charge(charge)).rejects.toThrow(GatewayUnavailableError);
    expect(idempotencyKeys).toEqual(['inv_123:attempt-1', 'inv_123:attempt-1', 'inv_123:attempt-1']);
  });

  it('reports an unknown outcome when rate limited', async () => {
    reply = { status: 429, body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' } } };

    await expect(gateway.charge(charge)).rejects.toThrow(GatewayUnavailableError);
  });

  it('reports an unknown outcome when Stripe cannot be reached', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await close(closed);
    const unreachable = new StripeGateway(createStripeClient({ secretKey: 'sk_test_123', apiBase: `http://127.0.0.1:${port}` }));

    await expect(unreachable.charge(charge)).rejects.toThrow(GatewayUnavailableError);
  });

  it('throws a plain error for an invalid request', async () => {
    reply = {
      status: 400,
      body: { error: { type: 'invalid_request_error', param: 'amount', message: 'Amount must be at least $0.50 usd' } },
    };

    const charging = gateway.charge(charge);

    await expect(charging).rejects.toThrow('Amount must be at least $0.50 usd');
    await expect(charging).rejects.not.toBeInstanceOf(GatewayUnavailableError);
  });

  it('fails the charge when the saved payment method no longer exists', async () => {
    reply = {
      status: 400,
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: 'payment_method',
          message: "No such PaymentMethod: 'pm_gone'",
        },
      },
    };

    await expect(gateway.charge(charge)).resolves.toEqual({
      status: 'failed',
      failureCode: 'invalid_payment_method',
      failureMessage: "No such PaymentMethod: 'pm_gone'",
    });
  });

  it('fails the charge when the bank asks for authentication the absent customer cannot give', async () => {
    reply = { status: 200, body: paymentIntent('requires_action') };

    await expect(gateway.charge(charge)).resolves.toMatchObject({
      status: 'failed',
      gatewayChargeId: 'pi_3Scripted',
      failureCode: 'authentication_required',
    });
  });

  it('reports an unknown outcome while the payment is still processing', async () => {
    reply = { status: 200, body: paymentIntent('processing') };

    await expect(gateway.charge(charge)).rejects.toThrow(GatewayUnavailableError);
  });

  it('records a refund Stripe refuses (already refunded) as failed with Stripe’s code and message', async () => {
    reply = {
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'charge_already_refunded', message: 'Charge ch_3X has already been refunded.' } },
    };

    await expect(gateway.refund(refund)).resolves.toEqual({
      status: 'failed',
      gatewayRefundId: null,
      failureReason: 'charge_already_refunded: Charge ch_3X has already been refunded.',
    });
    expect(idempotencyKeys).toEqual(['refund-re_123']);
  });

  it('reports an unknown refund outcome on a 500, after the SDK retried with the same key', async () => {
    reply = { status: 500, body: { error: { type: 'api_error', message: 'An unknown error occurred' } } };

    await expect(gateway.refund(refund)).rejects.toThrow(GatewayUnavailableError);
    expect(idempotencyKeys).toEqual(['refund-re_123', 'refund-re_123', 'refund-re_123']);
  });

  it('throws a plain error when the refund key was used with other parameters', async () => {
    reply = {
      status: 400,
      body: { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } },
    };

    const refunding = gateway.refund(refund);

    await expect(refunding).rejects.toThrow(/same parameters/);
    await expect(refunding).rejects.not.toBeInstanceOf(GatewayUnavailableError);
  });

  it('maps a refund failure reported by Stripe to a failed refund with its reason', async () => {
    reply = { status: 200, body: { id: 're_3Failed', object: 'refund', status: 'failed', failure_reason: 'expired_or_canceled_card' } };

    await expect(gateway.refund(refund)).resolves.toEqual({ status: 'failed', gatewayRefundId: 're_3Failed', failureReason: 'expired_or_canceled_card' });
  });

  it('reports an unknown outcome when a refund lookup cannot reach Stripe', async () => {
    reply = { status: 503, body: { error: { type: 'api_error', message: 'Service unavailable' } } };

    await expect(gateway.retrieveRefund('re_3Pending')).rejects.toThrow(GatewayUnavailableError);
  });
});
