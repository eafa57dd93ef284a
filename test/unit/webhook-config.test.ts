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

describe('STRIPE_PUBLISHABLE_KEY', () => {
  test('unset leaves the sandbox card form; a publishable key of the secret key\'s mode is taken', () => {
    expect(loadConfig(base).stripePublishableKey).toBeUndefined();
    expect(loadConfig({ ...base, STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_PUBLISHABLE_KEY: 'pk_test_1\n' }).stripePublishableKey).toBe('pk_test_1');
  });

  test('a secret key in its place stops the start instead of publishing the secret in every card page', () => {
    expect(() => loadConfig({ ...base, STRIPE_PUBLISHABLE_KEY: 'sk_test_1' })).toThrow(/STRIPE_PUBLISHABLE_KEY must be the publishable key/);
  });

  test('a live publishable key beside a test secret key (or the other way round) stops the start', () => {
    expect(() => loadConfig({ ...base, STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_PUBLISHABLE_KEY: 'pk_live_1' })).toThrow(/same mode/);
    expect(() => loadConfig({ ...base, STRIPE_SECRET_KEY: 'sk_live_1', STRIPE_PUBLISHABLE_KEY: 'pk_test_1' })).toThrow(/same mode/);
  });
});
