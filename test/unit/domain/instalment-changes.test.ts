import fc from 'fast-check';
import {
  deleteInstalment,
  editInstalment,
  isChangeable,
  payoffAmount,
  planBalances,
  reschedule,
  type InstalmentStatus,
  type PlanInstalment,
} from '../../../domain/instalment-changes';
import { RuleViolation } from '../../../domain/rule-violation';
import { buildInstalmentSchedule, type ScheduleInput } from '../../../domain/instalment-schedule';

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const amounts = (list: readonly PlanInstalment[]) => list.map((i) => i.amount);
const numbers = (list: readonly PlanInstalment[]) => list.map((i) => i.number);
const totalOf = (list: readonly PlanInstalment[]) => sum(list.filter((i) => i.status !== 'canceled').map((i) => i.amount));

const NOW = '2024-01-01T00:00:00Z';

/** A plan as the workflow holds it: a built schedule whose first instalments have these statuses, the rest scheduled. */
function plan(input: Partial<ScheduleInput> = {}, statuses: InstalmentStatus[] = []): PlanInstalment[] {
  const schedule = buildInstalmentSchedule({
    currency: 'USD',
    total: 100_000,
    method: 'equal',
    timeZone: 'UTC',
    firstPaymentDate: '2024-01-31T00:00:00Z',
    count: 4,
    interval: { unit: 'month', count: 1 },
    ...input,
  });
  return schedule.instalments.map((i, k) => ({
    ...i,
    status: statuses[k] ?? 'scheduled',
    invoiceId: (statuses[k] ?? 'scheduled') === 'scheduled' ? null : `inv_${k + 1}`,
  }));
}

function codeOf(change: () => unknown): string {
  try {
    change();
  } catch (error) {
    expect(error).toBeInstanceOf(RuleViolation);
    return (error as RuleViolation).code;
  }
  throw new Error('expected a RuleViolation');
}

/** Deep-frozen copy, so any mutation of an input throws in strict mode. */
function frozen(list: PlanInstalment[]): PlanInstalment[] {
  return Object.freeze(list.map((i) => Object.freeze({ ...i }))) as PlanInstalment[];
}

/** What every non-loan result keeps: sorted, amounts ≥ 1, principal = amount, running remaining principal. */
function expectConsistent(list: readonly PlanInstalment[]): void {
  const times = list.map((i) => Date.parse(i.dueDate));
  times.slice(1).forEach((t, k) => expect(t).toBeGreaterThan(times[k]!));
  expect(new Set(numbers(list)).size).toBe(list.length);
  for (const i of list) {
    expect(Number.isSafeInteger(i.amount)).toBe(true);
    expect(i.amount).toBeGreaterThanOrEqual(1);
  }
  list.forEach((i, k) => {
    if (!isChangeable(i)) return;
    expect(i.principal).toBe(i.amount);
    expect(i.interest).toBe(0);
    expect(i.remainingPrincipal).toBe(sum(list.slice(k + 1).filter((j) => j.status !== 'canceled').map((j) => j.principal)));
  });
}

function expectHistoryUntouched(before: readonly PlanInstalment[], after: readonly PlanInstalment[]): void {
  for (const old of before.filter((i) => !isChangeable(i))) {
    expect(after.find((i) => i.number === old.number)).toEqual(old);
  }
}

// ---- arbitraries ------------------------------------------------------------------------------------

const historyArb = fc.constantFrom<InstalmentStatus>('paid', 'paid', 'invoiced', 'failed', 'canceled');
/** A plan of 2..24 instalments whose first few are history and the rest scheduled. */
const planArb = fc
  .record({
    total: fc.integer({ min: 100, max: 1_000_000_000 }),
    count: fc.integer({ min: 2, max: 24 }),
    down: fc.boolean(),
    history: fc.array(historyArb, { maxLength: 23 }),
  })
  .map(({ total, count, down, history }) =>
    plan({ total, count, downPayment: down ? { percent: '10' } : undefined }, history.slice(0, count - 1)),
  );

// ---- properties -------------------------------------------------------------------------------------

describe('changes: properties', () => {
  it('an amount edit with keepTotal keeps the total to the minor unit and never touches history', () => {
    fc.assert(
      fc.property(planArb, fc.nat(), fc.nat(), (before, pick, seed) => {
        const scheduled = before.filter(isChangeable);
        const target = scheduled[pick % scheduled.length]!;
        // Anything from 1 minor unit to three times the current amount.
        const amount = 1 + (seed % (3 * target.amount));
        let after: PlanInstalment[];
        try {
          after = editInstalment(frozen(before), { number: target.number, amount }, NOW, false);
        } catch (error) {
          expect(['total_would_change', 'nothing_to_rebalance']).toContain((error as RuleViolation).code);
          if ((error as RuleViolation).code === 'nothing_to_rebalance') expect(scheduled).toHaveLength(1);
          return;
        }
        expect(totalOf(after)).toBe(totalOf(before));
        expect(after.find((i) => i.number === target.number)!.amount).toBe(amount);
        expect(numbers(after).sort((a, b) => a - b)).toEqual(numbers(before).sort((a, b) => a - b));
        expectHistoryUntouched(before, after);
        expectConsistent(after);
      }),
    );
  });

  it('keepTotal=false changes the total by exactly the difference, and nothing else', () => {
    fc.assert(
      fc.property(planArb, fc.nat(), fc.integer({ min: 1, max: 1_000_000 }), (before, pick, amount) => {
        const scheduled = before.filter(isChangeable);
        const target = scheduled[pick % scheduled.length]!;
        const after = editInstalment(before, { number: target.number, amount, keepTotal: false }, NOW, false);
        expect(totalOf(after)).toBe(totalOf(before) - target.amount + amount);
        for (const i of after) if (i.number !== target.number) expect(i.amount).toBe(before.find((b) => b.number === i.number)!.amount);
        expectConsistent(after);
      }),
    );
  });

  it('a delete with keepTotal keeps the total, leaves a gap in the numbers and never touches history', () => {
    fc.assert(
      fc.property(planArb, fc.nat(), (before, pick) => {
        const scheduled = before.filter(isChangeable);
        const target = scheduled[pick % scheduled.length]!;
        let after: PlanInstalment[];
        try {
          after = deleteInstalment(frozen(before), { number: target.number }, NOW, false);
        } catch (error) {
          expect((error as RuleViolation).code).toBe('nothing_to_rebalance');
          expect(scheduled).toHaveLength(1);
          return;
        }
        expect(after).toHaveLength(before.length - 1);
        expect(numbers(after)).not.toContain(target.number);
        expect(totalOf(after)).toBe(totalOf(before));
        expectHistoryUntouched(before, after);
        expectConsistent(after);
      }),
    );
  });

  it('reschedule and due date edits move only scheduled instalments and keep every amount', () => {
    fc.assert(
      fc.property(planArb, fc.integer({ min: 0, max: 400 }), fc.nat(), fc.integer({ min: -20, max: 20 }), (before, days, pick, shiftDays) => {
        const firstDueDate = new Date(Date.parse('2024-01-01T00:00:00Z') + days * 86_400_000).toISOString();
        const hasInterest = pick % 2 === 0;
        const check = (after: PlanInstalment[]) => {
          expectHistoryUntouched(before, after);
          expect(after.map((i) => [i.number, i.amount, i.principal, i.interest]).sort((a, b) => a[0]! - b[0]!)).toEqual(
            before.map((i) => [i.number, i.amount, i.principal, i.interest]).sort((a, b) => a[0]! - b[0]!),
          );
          const times = after.filter((i) => i.status !== 'canceled').map((i) => Date.parse(i.dueDate));
          times.slice(1).forEach((t, k) => expect(t).toBeGreaterThan(times[k]!));
        };
        try {
          const after = reschedule(frozen(before), { firstDueDate }, NOW, 'Europe/Paris');
          check(after);
          expect(after.filter(isChangeable)[0]!.dueDate).toBe(firstDueDate);
        } catch (error) {
          expect(['due_date_order', 'due_date_in_past']).toContain((error as RuleViolation).code);
        }
        const scheduled = before.filter(isChangeable);
        const target = scheduled[pick % scheduled.length]!;
        const dueDate = new Date(Date.parse(target.dueDate) + shiftDays * 86_400_000).toISOString();
        try {
          check(editInstalment(frozen(before), { number: target.number, dueDate }, NOW, hasInterest));
        } catch (error) {
          expect(['due_date_order', 'due_date_in_past']).toContain((error as RuleViolation).code);
        }
      }),
    );
  });

  it('history instalments refuse every change', () => {
    fc.assert(
      fc.property(planArb, fc.nat(), (before, pick) => {
        const history = before.filter((i) => !isChangeable(i));
        fc.pre(history.length > 0);
        const target = history[pick % history.length]!;
        expect(codeOf(() => editInstalment(before, { number: target.number, amount: 1 }, NOW, false))).toBe('instalment_not_editable');
        expect(codeOf(() => editInstalment(before, { number: target.number, dueDate: '2030-01-01T00:00:00Z' }, NOW, true))).toBe('instalment_not_editable');
        expect(codeOf(() => deleteInstalment(before, { number: target.number }, NOW, false))).toBe('instalment_not_editable');
      }),
    );
  });
});

// ---- examples -----------------------------------------------------------------------------------------

describe('editInstalment', () => {
  // 1000.00 in 4 monthly instalments of 250.00: Jan 31, Feb 29, Mar 31, Apr 30 2024.
  const four = () => plan();

  it('spreads the difference over the other scheduled instalments in proportion to their amounts', () => {
    const after = editInstalment(four(), { number: 1, amount: 10_000 }, NOW, false);
    expect(amounts(after)).toEqual([10_000, 30_000, 30_000, 30_000]);
    expect(after.map((i) => i.remainingPrincipal)).toEqual([90_000, 60_000, 30_000, 0]);
    // Paid instalment 1 keeps its 250.00; 2 goes up by 30.00, taken 1:2 from 3 and 4.
    const mixed = plan({}, ['paid']).map((i) => (i.number === 4 ? { ...i, amount: 50_000, principal: 50_000 } : i));
    const shifted = editInstalment(mixed, { number: 2, amount: 28_000 }, NOW, false);
    expect(amounts(shifted)).toEqual([25_000, 28_000, 24_000, 48_000]);
  });

  it('keepTotal=false changes the plan total', () => {
    const after = editInstalment(four(), { number: 2, amount: 30_000, keepTotal: false }, NOW, false);
    expect(amounts(after)).toEqual([25_000, 30_000, 25_000, 25_000]);
    expect(planBalances(after).total).toBe(105_000);
    expect(after[0]!.remainingPrincipal).toBe(80_000);
  });

  it('moves a due date between its neighbours and normalises it to UTC', () => {
    const after = editInstalment(four(), { number: 2, dueDate: '2024-03-15T10:00:00+01:00' }, NOW, false);
    expect(after[1]).toMatchObject({ number: 2, dueDate: '2024-03-15T09:00:00.000Z', amount: 25_000 });
  });

  it('returns new objects and leaves its input alone', () => {
    const before = four();
    const copy = structuredClone(before);
    const after = editInstalment(frozen(before), { number: 1, amount: 40_000, dueDate: '2024-02-01T00:00:00Z' }, NOW, false);
    expect(before).toEqual(copy);
    after.forEach((i, k) => expect(i).not.toBe(before[k]));
  });

  it('refuses history, unknown numbers and bad amounts or dates', () => {
    const before = plan({}, ['paid', 'invoiced']);
    expect(codeOf(() => editInstalment(before, { number: 1, amount: 1 }, NOW, false))).toBe('instalment_not_editable');
    expect(codeOf(() => editInstalment(before, { number: 2, dueDate: '2024-03-01T00:00:00Z' }, NOW, false))).toBe('instalment_not_editable');
    expect(codeOf(() => editInstalment(before, { number: 9, amount: 1 }, NOW, false))).toBe('instalment_not_found');
    for (const amount of [0, -1, 1.5, Number.NaN]) expect(codeOf(() => editInstalment(before, { number: 3, amount }, NOW, false))).toBe('invalid_amount');
    expect(codeOf(() => editInstalment(before, { number: 3, dueDate: '2024-03-31' }, NOW, false))).toBe('invalid_due_date');
  });

  it('keeps due dates strictly increasing over the whole plan, paid instalments included', () => {
    const before = plan({}, ['paid']);
    // Onto its neighbour, past its neighbour, before the paid one.
    expect(codeOf(() => editInstalment(before, { number: 2, dueDate: '2024-03-31T00:00:00Z' }, NOW, false))).toBe('due_date_order');
    expect(codeOf(() => editInstalment(before, { number: 2, dueDate: '2024-04-05T00:00:00Z' }, NOW, false))).toBe('due_date_order');
    expect(codeOf(() => editInstalment(before, { number: 2, dueDate: '2024-01-15T00:00:00Z' }, NOW, false))).toBe('due_date_order');
    // A canceled instalment is out of the plan and does not block.
    const canceled = plan({}, ['canceled']);
    expect(editInstalment(canceled, { number: 2, dueDate: '2024-01-31T00:00:00Z' }, NOW, false).map((i) => [i.number, i.dueDate])).toEqual([
      [1, '2024-01-31T00:00:00.000Z'],
      [2, '2024-01-31T00:00:00.000Z'],
      [3, '2024-03-31T00:00:00.000Z'],
      [4, '2024-04-30T00:00:00.000Z'],
    ]);
  });

  it('refuses a new due date before now, but not an amount edit on an overdue instalment', () => {
    const now = '2024-02-10T00:00:00Z';
    expect(codeOf(() => editInstalment(four(), { number: 2, dueDate: '2024-02-09T00:00:00Z' }, now, false))).toBe('due_date_in_past');
    expect(amounts(editInstalment(four(), { number: 1, amount: 40_000 }, now, false))).toEqual([40_000, 20_000, 20_000, 20_000]);
  });

  it('refuses to keep the total when there is nobody to take it or it would empty one', () => {
    const last = plan({}, ['paid', 'paid', 'paid']);
    expect(codeOf(() => editInstalment(last, { number: 4, amount: 30_000 }, NOW, false))).toBe('nothing_to_rebalance');
    expect(amounts(editInstalment(last, { number: 4, amount: 30_000, keepTotal: false }, NOW, false))).toEqual([25_000, 25_000, 25_000, 30_000]);
    // The other three hold 750.00 together: taking 750.00 or more from them empties one.
    expect(codeOf(() => editInstalment(four(), { number: 1, amount: 100_000 }, NOW, false))).toBe('total_would_change');
    expect(amounts(editInstalment(four(), { number: 1, amount: 99_997 }, NOW, false))).toEqual([99_997, 1, 1, 1]);
  });

  it('loans: amounts are fixed by the amortisation, due dates can move', () => {
    const loan = plan({ total: 1_000_000, count: 12, annualInterestRate: '12' });
    expect(codeOf(() => editInstalment(loan, { number: 3, amount: 50_000 }, NOW, true))).toBe('loan_amount_edit');
    // The same amount is not an edit.
    expect(editInstalment(loan, { number: 3, amount: 88_849 }, NOW, true)).toEqual(loan);
    const moved = editInstalment(loan, { number: 3, dueDate: '2024-03-20T00:00:00Z' }, NOW, true);
    expect(moved[2]).toEqual({ ...loan[2], dueDate: '2024-03-20T00:00:00.000Z' });
    expect(moved.filter((i) => i.number !== 3)).toEqual(loan.filter((i) => i.number !== 3));
  });
});

describe('deleteInstalment', () => {
  it('spreads the deleted amount over the other scheduled instalments and keeps the other numbers', () => {
    const after = deleteInstalment(plan({}, ['paid']), { number: 3 }, NOW, false);
    expect(after.map((i) => [i.number, i.amount, i.remainingPrincipal])).toEqual([
      [1, 25_000, 75_000],
      [2, 37_500, 37_500],
      [4, 37_500, 0],
    ]);
  });

  it('with keepTotal=false lowers the total', () => {
    const after = deleteInstalment(plan(), { number: 2, keepTotal: false }, NOW, false);
    expect(numbers(after)).toEqual([1, 3, 4]);
    expect(planBalances(after).total).toBe(75_000);
  });

  it('refuses the cases it cannot apply', () => {
    const lastScheduled = plan({}, ['paid', 'paid', 'paid']);
    expect(codeOf(() => deleteInstalment(lastScheduled, { number: 4 }, NOW, false))).toBe('nothing_to_rebalance');
    expect(deleteInstalment(lastScheduled, { number: 4, keepTotal: false }, NOW, false)).toHaveLength(3);
    const single = plan({ count: 1 });
    expect(codeOf(() => deleteInstalment(single, { number: 1, keepTotal: false }, NOW, false))).toBe('plan_would_be_empty');
    expect(codeOf(() => deleteInstalment(plan(), { number: 7 }, NOW, false))).toBe('instalment_not_found');
    expect(codeOf(() => deleteInstalment(plan({}, ['failed']), { number: 1 }, NOW, false))).toBe('instalment_not_editable');
    expect(codeOf(() => deleteInstalment(plan({ annualInterestRate: '5' }), { number: 2 }, NOW, true))).toBe('loan_amount_edit');
  });
});

describe('reschedule', () => {
  it('moves the first scheduled instalment and shifts the later ones by the same calendar amount', () => {
    // +1 month: Mar 31 clamps to Apr 30; the paid instalment stays.
    const after = reschedule(plan({}, ['paid']), { firstDueDate: '2024-03-29T00:00:00Z' }, NOW, 'UTC');
    expect(after.map((i) => [i.number, i.dueDate, i.status])).toEqual([
      [1, '2024-01-31T00:00:00.000Z', 'paid'],
      [2, '2024-03-29T00:00:00.000Z', 'scheduled'],
      [3, '2024-04-30T00:00:00.000Z', 'scheduled'],
      [4, '2024-05-30T00:00:00.000Z', 'scheduled'],
    ]);
  });

  it('shifts in local calendar days across DST', () => {
    // 09:00 Paris every month from Feb 15; moving 5 days later keeps 09:00 local after the March change.
    const before = plan({ timeZone: 'Europe/Paris', firstPaymentDate: '2024-02-15T08:00:00Z', count: 3 });
    const after = reschedule(before, { firstDueDate: '2024-02-20T08:00:00Z' }, NOW, 'Europe/Paris');
    expect(after.map((i) => i.dueDate)).toEqual(['2024-02-20T08:00:00.000Z', '2024-03-20T08:00:00.000Z', '2024-04-20T07:00:00.000Z']);
  });

  it('can move earlier, but not before now, past history, or with nothing scheduled', () => {
    // From the 15th of each month to the 10th: 5 days earlier each.
    const fifteenth = plan({ firstPaymentDate: '2024-01-15T00:00:00Z' });
    expect(reschedule(fifteenth, { firstDueDate: '2024-01-10T00:00:00Z' }, NOW, 'UTC').map((i) => i.dueDate)).toEqual([
      '2024-01-10T00:00:00.000Z',
      '2024-02-10T00:00:00.000Z',
      '2024-03-10T00:00:00.000Z',
      '2024-04-10T00:00:00.000Z',
    ]);
    expect(codeOf(() => reschedule(plan(), { firstDueDate: '2023-12-31T00:00:00Z' }, NOW, 'UTC'))).toBe('due_date_in_past');
    expect(codeOf(() => reschedule(plan({}, ['paid']), { firstDueDate: '2024-01-20T00:00:00Z' }, NOW, 'UTC'))).toBe('due_date_order');
    expect(codeOf(() => reschedule(plan({ count: 2 }, ['paid', 'paid']), { firstDueDate: '2024-06-01T00:00:00Z' }, NOW, 'UTC'))).toBe('nothing_to_reschedule');
    expect(codeOf(() => reschedule(plan(), { firstDueDate: 'next week' }, NOW, 'UTC'))).toBe('invalid_due_date');
  });
});

describe('balances and payoff', () => {
  it('sums what was paid, what is left and when the next payment is due', () => {
    const before = plan({ total: 100_000, count: 5 }, ['paid', 'paid', 'invoiced', 'canceled']);
    expect(planBalances(before)).toEqual({
      total: 80_000,
      paidAmount: 40_000,
      paymentCount: 2,
      remainingBalance: 40_000,
      remainingPrincipal: 40_000,
      nextPaymentDate: '2024-03-31T00:00:00.000Z',
      writtenOffAmount: 0,
    });
    const done = plan({ count: 2 }, ['paid', 'paid']);
    expect(planBalances(done)).toMatchObject({ remainingBalance: 0, remainingPrincipal: 0, nextPaymentDate: null, paymentCount: 2 });
    const writtenOff = plan({ count: 2 }, ['paid', 'written_off']);
    expect(planBalances(writtenOff)).toMatchObject({ total: 100_000, paidAmount: 50_000, writtenOffAmount: 50_000, remainingBalance: 0, nextPaymentDate: null });
  });

  it('on a loan, paying off now costs the principal still owed: interest not yet due is waived', () => {
    const loan = plan({ total: 1_000_000, count: 12, annualInterestRate: '12' }, ['paid', 'paid', 'paid']);
    expect(payoffAmount(loan)).toBe(loan[2]!.remainingPrincipal);
    expect(payoffAmount(loan)).toBeLessThan(sum(amounts(loan.slice(3))));
    const balances = planBalances(loan);
    expect(balances.remainingPrincipal).toBe(loan[2]!.remainingPrincipal);
    expect(balances.remainingBalance).toBe(sum(amounts(loan.slice(3))));
    // Invoiced instalments are paid through their own invoice, not the payoff.
    expect(payoffAmount(plan({}, ['paid', 'invoiced']))).toBe(50_000);
  });
});
