import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { OutgoingEmail } from '../../../activities/email/mailer';
import { OutboxMailer } from '../../../activities/email/outbox-mailer';
import { createResendClient, EmailDeliveryError, ResendMailer } from '../../../activities/email/resend-mailer';

interface ReceivedRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** Stands in for api.resend.com: records each request and answers with the next scripted reply. */
class FakeResendApi {
  readonly received: ReceivedRequest[] = [];
  reply: { status: number; body: unknown } = { status: 200, body: { id: 'email_0001' } };
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.received.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(this.reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.reply.body));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}

const receipt: OutgoingEmail = {
  idempotencyKey: 'receipt:inv_123',
  from: 'Acme Billing <billing@acme.test>',
  to: 'ada@customer.test',
  subject: 'Receipt for invoice INV-0001',
  text: 'Thanks, we received $49.00.',
  html: '<p>Thanks, we received <strong>$49.00</strong>.</p>',
};

describe('ResendMailer', () => {
  const api = new FakeResendApi();
  let mailer: ResendMailer;

  beforeAll(async () => {
    mailer = new ResendMailer(createResendClient({ apiKey: 're_test_key', baseUrl: await api.start() }));
  });

  afterAll(() => api.stop());

  beforeEach(() => {
    api.received.length = 0;
  });

  it('is named resend', () => {
    expect(mailer.name).toBe('resend');
  });

  it('posts the email with the outbox key as Idempotency-Key and returns Resend’s id', async () => {
    api.reply = { status: 200, body: { id: '4ef9a417-02e9-4d39-ad75-9611e0fcc33c' } };

    const result = await mailer.send(receipt);

    expect(result).toEqual({ providerMessageId: '4ef9a417-02e9-4d39-ad75-9611e0fcc33c' });
    expect(api.received).toHaveLength(1);
    const [request] = api.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/emails');
    expect(request?.headers['idempotency-key']).toBe('receipt:inv_123');
    expect(request?.headers.authorization).toBe('Bearer re_test_key');
    expect(request?.body).toEqual({
      from: 'Acme Billing <billing@acme.test>',
      to: 'ada@customer.test',
      subject: 'Receipt for invoice INV-0001',
      html: '<p>Thanks, we received <strong>$49.00</strong>.</p>',
      text: 'Thanks, we received $49.00.',
    });
  });

  it('throws on an error answer so the activity retries', async () => {
    api.reply = {
      status: 422,
      body: { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' },
    };

    const sending = mailer.send(receipt);

    await expect(sending).rejects.toThrow(EmailDeliveryError);
    await expect(sending).rejects.toMatchObject({
      code: 'validation_error',
      statusCode: 422,
      message: expect.stringContaining('Invalid `to` field.'),
    });
  });

  it('throws when Resend cannot be reached (the SDK reports it as data, not as an exception)', async () => {
    const unreachable = new ResendMailer(createResendClient({ apiKey: 're_test_key', baseUrl: 'http://127.0.0.1:9' }));

    await expect(unreachable.send(receipt)).rejects.toMatchObject({ name: 'EmailDeliveryError', statusCode: null });
  });
});

describe('OutboxMailer', () => {
  it('leaves the email in the outbox and answers with the outbox key', async () => {
    const mailer = new OutboxMailer();

    expect(mailer.name).toBe('outbox');
    await expect(mailer.send(receipt)).resolves.toEqual({ providerMessageId: 'outbox:receipt:inv_123' });
  });
});
