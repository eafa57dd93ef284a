import { DEFAULT_MAX_CACHED_WORKFLOWS, loadConfig } from '../../config';

const base = { DATABASE_URL: 'postgres://billing@localhost:5432/billing' };

describe('WORKER_MAX_CACHED_WORKFLOWS', () => {
  test('unset or blank keeps the bounded default, not the SDK heap-sized one', () => {
    expect(DEFAULT_MAX_CACHED_WORKFLOWS).toBe(50);
    expect(loadConfig(base).temporal.maxCachedWorkflows).toBe(50);
    expect(loadConfig({ ...base, WORKER_MAX_CACHED_WORKFLOWS: ' ' }).temporal.maxCachedWorkflows).toBe(50);
  });

  test('a whole number is taken', () => {
    expect(loadConfig({ ...base, WORKER_MAX_CACHED_WORKFLOWS: '400' }).temporal.maxCachedWorkflows).toBe(400);
  });

  test.each(['0', '-5', '2.5', 'lots', '1e3x'])('"%s" stops the start with the variable named', (raw) => {
    expect(() => loadConfig({ ...base, WORKER_MAX_CACHED_WORKFLOWS: raw })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS must be a whole number above 0/);
  });
});
