import { loadConfig } from '../../config';

const base = { DATABASE_URL: 'postgres://billing@localhost:5432/billing' };

describe('STRIPE_WEBHOOK_SECRET', () => {
  test('unset or blank leaves the webhook endpoint off', () => {
    expect(loadConfig(base).stripeWebhookSecret).toBeUndefined();
    expect(loadConfig({ ...base, STRIPE_WEBHOOK_SECRET: '  ' }).stripeWebhookSecret).toBeUndefined();
  });

  test('a signing secret is taken, trimmed of the newline a pasted value often carries', () => {
    expect(loadConfig({ ...base, STRIPE_WEBHOOK_SECRET: 'whsec_abc123\n' }).stripeWebhookSecret).toBe('whsec_abc123');
  });

  test('an API key in its place stops the process at start instead of failing every delivery', () => {
    expect(() => loadConfig({ ...base, STRIPE_WEBHOOK_SECRET: 'sk_test_123' })).toThrow(/STRIPE_WEBHOOK_SECRET must be .*whsec_/);
  });
});
