import {
  STRIPE_TEST_CARDS,
  needsSandboxThreeDSecure,
  parseCardNumber,
  parseCvc,
  parseExpiry,
  passesLuhn,
  readSandboxCard,
} from '../../../web/payments/card-details';
import { SANDBOX_TEST_PAYMENT_METHODS, SandboxGateway, type SandboxLedger } from '../../../activities/payments/sandbox-gateway';

/** A fixed clock: 15 June of some year. Expiry cases are computed from it, never from today. */
const now = new Date(Date.UTC(2031, 5, 15, 12, 0, 0));
const yy = (year: number) => String(year % 100).padStart(2, '0');
const mm = (month: number) => String(month).padStart(2, '0');

/** A month relative to the clock's, as MM/YY. */
function monthFromNow(offset: number): string {
  const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return `${mm(date.getUTCMonth() + 1)}/${yy(date.getUTCFullYear())}`;
}

describe('card number', () => {
  it.each([
    ['4242424242424242', '4242424242424242'],
    ['4242 4242 4242 4242', '4242424242424242'],
    ['4242-4242-4242-4242', '4242424242424242'],
    ['  4000 0025-0000 3155 ', '4000002500003155'],
    ['3782 822463 10005', '378282246310005'],
  ])('accepts %j as %s', (typed, digits) => {
    expect(parseCardNumber(typed)).toEqual({ ok: true, value: digits });
  });

  it.each([
    // Arabic-Indic, fullwidth and Devanagari digits: \d in other engines, never a card number here.
    ['٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢'],
    ['４２４２４２４２４２４２４２４２'],
    ['४२४२४२४२४२४२४२४२'],
    ['4242 4242 4242 424x'],
    ['4242.4242.4242.4242'],
    ['4242\u00a04242\u00a04242\u00a04242'],
  ])('refuses characters other than digits, spaces and dashes: %j', (typed) => {
    expect(parseCardNumber(typed)).toEqual({ ok: false, problem: 'number_characters' });
  });

  it('refuses a number that fails the Luhn check', () => {
    expect(passesLuhn('4242424242424241')).toBe(false);
    expect(parseCardNumber('4242 4242 4242 4241')).toEqual({ ok: false, problem: 'number_luhn' });
  });

  it('refuses too short and too long numbers, and asks for a missing one', () => {
    expect(parseCardNumber('4242 4242')).toEqual({ ok: false, problem: 'number_length' });
    expect(parseCardNumber('4'.repeat(20))).toEqual({ ok: false, problem: 'number_length' });
    expect(parseCardNumber('   ')).toEqual({ ok: false, problem: 'number_required' });
    expect(parseCardNumber(undefined)).toEqual({ ok: false, problem: 'number_required' });
  });

  it('passes Luhn for every listed test card', () => {
    for (const digits of STRIPE_TEST_CARDS.keys()) expect(passesLuhn(digits)).toBe(true);
  });
});

describe('expiry date', () => {
  it('accepts this month and later months, in the usual spellings', () => {
    const thisMonth = { month: now.getUTCMonth() + 1, year: now.getUTCFullYear() };
    expect(parseExpiry(monthFromNow(0), now)).toEqual({ ok: true, value: thisMonth });
    expect(parseExpiry(`${mm(thisMonth.month)} / ${yy(thisMonth.year)}`, now)).toEqual({ ok: true, value: thisMonth });
    expect(parseExpiry(`${mm(thisMonth.month)}/${thisMonth.year}`, now)).toEqual({ ok: true, value: thisMonth });
    expect(parseExpiry(`${mm(thisMonth.month)}${yy(thisMonth.year)}`, now)).toEqual({ ok: true, value: thisMonth });
    expect(parseExpiry(monthFromNow(1), now)).toMatchObject({ ok: true });
    expect(parseExpiry(monthFromNow(60), now)).toMatchObject({ ok: true });
  });

  it('refuses last month and last year, computed from the clock', () => {
    expect(parseExpiry(monthFromNow(-1), now)).toEqual({ ok: false, problem: 'expiry_past' });
    expect(parseExpiry(monthFromNow(-12), now)).toEqual({ ok: false, problem: 'expiry_past' });
  });

  it('is good through the last day of its month, in UTC', () => {
    const lastMoment = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - 1);
    const firstOfNext = new Date(lastMoment.getTime() + 1);
    expect(parseExpiry(monthFromNow(0), lastMoment)).toMatchObject({ ok: true });
    expect(parseExpiry(monthFromNow(0), firstOfNext)).toEqual({ ok: false, problem: 'expiry_past' });
  });

  it.each(['13/40', '00/40', '1/2/40', 'June 2040', '12/4', '١٢/٤٠'])('refuses %j as not a date', (typed) => {
    expect(parseExpiry(typed, now)).toEqual({ ok: false, problem: 'expiry_format' });
  });
});

describe('CVC', () => {
  it.each(['123', '1234', ' 987 '])('accepts %j', (typed) => {
    expect(parseCvc(typed)).toEqual({ ok: true, value: typed.trim() });
  });

  it.each(['12', '12345', '12a', '١٢٣'])('refuses %j', (typed) => {
    expect(parseCvc(typed)).toEqual({ ok: false, problem: 'cvc_format' });
  });
});

describe('sandbox card entry', () => {
  const valid = { expiry: monthFromNow(3), cvc: '123' };

  it.each([
    ['4242 4242 4242 4242', 'pm_card_visa'],
    ['5555 5555 5555 4444', 'pm_card_mastercard'],
    ['4000 0000 0000 0002', 'pm_card_chargeDeclined'],
    ['4000 0000 0000 9995', 'pm_card_chargeDeclinedInsufficientFunds'],
  ])('maps %s to %s', (number, paymentMethod) => {
    expect(readSandboxCard({ ...valid, number }, now)).toMatchObject({ ok: true, paymentMethod });
  });

  it('names every field that is wrong at once', () => {
    expect(readSandboxCard({ number: '4242 4242 4242 4241', expiry: monthFromNow(-1), cvc: '1' }, now)).toEqual({
      ok: false,
      problems: { number: 'number_luhn', expiry: 'expiry_past', cvc: 'cvc_format' },
    });
  });

  it('refuses a valid number that is not a Stripe test card', () => {
    // Luhn-valid, but no test card: the sandbox cannot know what it would do.
    expect(readSandboxCard({ ...valid, number: '4111 1111 1111 1111' }, now)).toEqual({ ok: false, problems: { number: 'number_not_test_card' } });
    expect(readSandboxCard({ number: '4111 1111 1111 1111', expiry: monthFromNow(-1), cvc: '' }, now)).toEqual({
      ok: false,
      problems: { number: 'number_not_test_card', expiry: 'expiry_past', cvc: 'cvc_required' },
    });
  });

  it.each([
    ['4000 0025 0000 3155', 'pm_card_authenticationRequiredOnSetup'],
    ['4000 0027 6000 3184', 'pm_card_authenticationRequired'],
  ])('asks for 3-D Secure on %s, saves %s once completed, refuses it when failed', (number, paymentMethod) => {
    expect(needsSandboxThreeDSecure(number)).toBe(true);
    expect(readSandboxCard({ ...valid, number }, now)).toEqual({ ok: false, problems: { number: 'authentication_required' } });
    expect(readSandboxCard({ ...valid, number, threeDSecure: 'forged' }, now)).toEqual({ ok: false, problems: { number: 'authentication_required' } });
    expect(readSandboxCard({ ...valid, number, threeDSecure: 'failed' }, now)).toEqual({ ok: false, problems: { number: 'authentication_failed' } });
    expect(readSandboxCard({ ...valid, number, threeDSecure: 'completed' }, now)).toMatchObject({ ok: true, paymentMethod });
  });

  it('does not ask for 3-D Secure on other cards', () => {
    expect(needsSandboxThreeDSecure('4242 4242 4242 4242')).toBe(false);
    expect(readSandboxCard({ ...valid, number: '4242424242424242', threeDSecure: 'failed' }, now)).toMatchObject({ ok: true });
  });

  it('maps every test card to a payment method the sandbox gateway charges as Stripe would', async () => {
    const ledger: SandboxLedger = {
      recordOnce: async (_key, request, outcome) => ({ request, outcome }),
      recordRefundOnce: async () => {
        throw new Error('not used');
      },
      findRefund: async () => null,
    };
    const gateway = new SandboxGateway(ledger);
    const outcomes = Object.fromEntries(SANDBOX_TEST_PAYMENT_METHODS.map((m) => [m.paymentMethod, m.outcome]));
    for (const [digits, card] of STRIPE_TEST_CARDS) {
      const charged = await gateway.charge({
        amount: 1000,
        currency: 'USD',
        paymentMethod: card.paymentMethod,
        idempotencyKey: `card-${digits}`,
        description: 'test',
        metadata: {},
      });
      expect(charged.status === 'succeeded' ? 'succeeded' : charged.failureCode).toBe(outcomes[card.paymentMethod] ?? 'succeeded');
    }
  });
});
