import { Writable } from 'node:stream';
import pino from 'pino';
import { redactPaths } from '../../logger';

function capture(): { logger: pino.Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ redact: { paths: redactPaths, censor: '[redacted]' } }, stream), lines: () => chunks };
}

test('API keys, signatures and secrets never reach a log line', () => {
  const { logger, lines } = capture();
  logger.info({ req: { headers: { authorization: 'Bearer bk_secret', 'stripe-signature': 't=1,v1=abc', host: 'api' } } }, 'request');
  logger.info({ config: { stripeSecretKey: 'sk_live_123', resendApiKey: 're_123', databaseUrl: 'postgres://u:pw@db/billing' } }, 'boot');
  const output = lines().join('');
  for (const secret of ['bk_secret', 'v1=abc', 'sk_live_123', 're_123', 'u:pw']) expect(output).not.toContain(secret);
  expect(output).toContain('[redacted]');
  expect(output).toContain('"host":"api"'); // everything else is still logged
});
