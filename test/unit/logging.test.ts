import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions, redactUrl } from '../../logger';

function capture(): { logger: pino.Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { logger: pino(loggerOptions, stream), lines: () => chunks };
}

test('API keys, signatures and secrets never reach a log line', () => {
  const { logger, lines } = capture();
  logger.info({ req: { headers: { authorization: 'Bearer bk_secret', 'stripe-signature': 't=1,v1=abc', host: 'api' } } }, 'request');
  logger.info({ config: { stripeSecretKey: 'sk_live_123', resendApiKey: 're_123', databaseUrl: 'postgres://u:pw@db/billing' } }, 'boot');
  const output = lines().join('');
  for (const secret of ['bk_secret', 'v1=abc', 'sk_live_123', 're_123', 'u:pw']) expect(output).not.toContain(secret);
  expect(output).toContain('[redacted]');
});

describe('redactUrl', () => {
  const token = 'Qx3v_9kLm-2pR8sT4uV6wX0yZ1aB5cD7eF9gH1iJ3kL';

  test.each([
    [`/v1/public/quotes/${token}`, '/v1/public/quotes/[redacted]'],
    [`/v1/public/quotes/${token}/sign`, '/v1/public/quotes/[redacted]/sign'],
    [`/v1/public/quotes/${token}/decline?lang=en`, '/v1/public/quotes/[redacted]/decline?lang=en'],
    [`/v1/%70ublic/quotes/${token}`, '/v1/public/quotes/[redacted]'],
    [`http://billing.example/V1/PUBLIC/quotes/${token}`, 'http://billing.example/V1/PUBLIC/quotes/[redacted]'],
    [`/quotes/${token}`, '/quotes/[redacted]'],
    [`/quotes/${token}/sign`, '/quotes/[redacted]/sign'],
    [`/quotes/${token}/pdf?download=1`, '/quotes/[redacted]/pdf?download=1'],
    [`/%71uotes/${token}`, '/quotes/[redacted]'],
    [`https://billing.example/quotes/${token}`, 'https://billing.example/quotes/[redacted]'],
    ['/v1/quotes/qt_123/send', '/v1/quotes/qt_123/send'],
    [`/v1/checkout?token=${token}&step=2`, '/v1/checkout?token=[redacted]&step=2'],
    [`/v1/things?key=bk_live_1&api_key=bk_2#access_token=${token}`, '/v1/things?key=[redacted]&api_key=[redacted]#access_token=[redacted]'],
    [`/v1/x?%74oken=${token}`, '/v1/x?token=[redacted]'],
    [`/portal/sign-in/psl_${token}`, '/portal/sign-in/[redacted]'],
    [`/portal/%73ign-in/psl_${token}?x=1`, '/portal/sign-in/[redacted]?x=1'],
    ['/portal/sign-in', '/portal/sign-in'],
    [`/invoices/in_1/${token}`, '/invoices/in_1/[redacted]'],
    [`/invoices/in_1/${token}/pay`, '/invoices/in_1/[redacted]/pay'],
    [`/%69nvoices/in_1/${token}/pdf`, '/invoices/in_1/[redacted]/pdf'],
    [`https://billing.example/INVOICES/in_1/${token}`, 'https://billing.example/INVOICES/in_1/[redacted]'],
    ['/v1/invoices/in_1/pdf', '/v1/invoices/in_1/pdf'],
    [`/pay/plink_1/complete/cst_${token}`, '/pay/plink_1/complete/[redacted]'],
    [`/pay/plink_1/%63omplete/cst_${token}?x=1`, '/pay/plink_1/complete/[redacted]?x=1'],
    ['/pay/plink_1', '/pay/plink_1'],
    ['/v1/customers?limit=10&starting_after=cus_1', '/v1/customers?limit=10&starting_after=cus_1'],
    ['/v1/customers/%E0%A4%A', '/v1/customers/%E0%A4%A'],
  ])('%s is logged as %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });

  test("the request line Fastify logs carries no token, and keeps the rest", () => {
    const { logger, lines } = capture();
    logger.info({ req: { method: 'POST', url: `/v1/public/quotes/${token}/sign`, host: 'api', ip: '203.0.113.7', headers: {}, socket: { remotePort: 5050 } } }, 'incoming request');
    const [line] = lines();
    expect(line).not.toContain(token);
    expect(JSON.parse(line!).req).toEqual({ method: 'POST', url: '/v1/public/quotes/[redacted]/sign', host: 'api', remoteAddress: '203.0.113.7', remotePort: 5050 });
  });
});
