import fc from 'fast-check';
import {
  INTERVAL_UNITS,
  MAX_INTERVAL_COUNT,
  NAMED_FREQUENCIES,
  describeFrequency,
  describeInterval,
  isNamedFrequency,
  validateInterval,
} from '../../../domain/frequency';
import type { BillingInterval } from '../../../domain/frequency';

describe('NAMED_FREQUENCIES', () => {
  it('offers the eleven frequencies sales pick from', () => {
    expect(NAMED_FREQUENCIES).toEqual({
      one_time: null,
      weekly: { unit: 'week', count: 1 },
      biweekly: { unit: 'week', count: 2 },
      monthly: { unit: 'month', count: 1 },
      quarterly: { unit: 'month', count: 3 },
      semiannually: { unit: 'month', count: 6 },
      yearly: { unit: 'year', count: 1 },
      every_2_years: { unit: 'year', count: 2 },
      every_3_years: { unit: 'year', count: 3 },
      every_4_years: { unit: 'year', count: 4 },
      every_5_years: { unit: 'year', count: 5 },
    });
  });

  it('holds only valid intervals', () => {
    for (const interval of Object.values(NAMED_FREQUENCIES)) {
      if (interval !== null) expect(validateInterval(interval)).toBeNull();
    }
  });

  it('recognises names, not inherited object properties', () => {
    expect(isNamedFrequency('quarterly')).toBe(true);
    expect(isNamedFrequency('one_time')).toBe(true);
    expect(isNamedFrequency('fortnightly')).toBe(false);
    expect(isNamedFrequency('toString')).toBe(false);
  });
});

describe('validateInterval', () => {
  it('accepts every N days, weeks, months or years', () => {
    expect(validateInterval({ unit: 'day', count: 10 })).toBeNull();
    expect(validateInterval({ unit: 'week', count: 1 })).toBeNull();
    expect(validateInterval({ unit: 'year', count: MAX_INTERVAL_COUNT })).toBeNull();
  });

  it.each([
    [null, /object/],
    ['monthly', /object/],
    [{ unit: 'hour', count: 1 }, /unit must be one of day, week, month, year, got "hour"/],
    [{ count: 1 }, /unit must be one of/],
    [{ unit: 'month', count: 0 }, /count must be an integer from 1 to 1000, got 0/],
    [{ unit: 'month', count: 1001 }, /count must be an integer/],
    [{ unit: 'month', count: 1.5 }, /count must be an integer/],
    [{ unit: 'month', count: '3' }, /count must be an integer.*"3"/],
    [{ unit: 'month' }, /count must be an integer/],
  ])('explains why %p is invalid', (interval, message) => {
    expect(validateInterval(interval)).toMatch(message);
  });
});

describe('describeInterval', () => {
  it.each<[BillingInterval, string]>([
    [{ unit: 'day', count: 1 }, 'daily'],
    [{ unit: 'week', count: 1 }, 'weekly'],
    [{ unit: 'week', count: 2 }, 'every 2 weeks'],
    [{ unit: 'month', count: 1 }, 'monthly'],
    [{ unit: 'month', count: 3 }, 'every 3 months'],
    [{ unit: 'year', count: 1 }, 'yearly'],
    [{ unit: 'year', count: 5 }, 'every 5 years'],
    [{ unit: 'day', count: 45 }, 'every 45 days'],
  ])('describes %p as "%s"', (interval, text) => {
    expect(describeInterval(interval)).toBe(text);
  });

  it('describes one-time billing', () => {
    expect(describeFrequency(null)).toBe('one-time');
    expect(describeFrequency(NAMED_FREQUENCIES.biweekly)).toBe('every 2 weeks');
  });

  it('names the count and unit of any multi-unit interval', () => {
    fc.assert(
      fc.property(fc.constantFrom(...INTERVAL_UNITS), fc.integer({ min: 2, max: MAX_INTERVAL_COUNT }), (unit, count) => {
        expect(describeInterval({ unit, count })).toBe(`every ${count} ${unit}s`);
      }),
    );
  });
});
