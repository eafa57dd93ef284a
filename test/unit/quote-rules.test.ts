/**
 * The quote workflow's rules as pure functions: what its update validators refuse (the API's 409/422)
 * and what they allow. The workflow and API tests drive the same rules end to end.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { QuoteContent } from '../../domain/quote';
import type { QuoteSignatureRecord, QuoteState, QuoteVersionInput, SignQuoteRequest } from '../../workflows/quote/contract';
import {
  QUOTE_RULE_FAILURE,
  QUOTE_STATE_CODES,
  QuoteRuleError,
  asQuoteRuleFailure,
  declineRule,
  pendingSigners,
  reviseRule,
  sendRule,
  signRule,
  updateDraftRule,
  voidRule,
} from '../../workflows/quote/rules';

const NOW = Date.parse('2031-01-01T00:00:00Z');
const EXPIRES = '2031-01-31T00:00:00.000Z';

function version(n: number, hash: string, order: 'sequential' | 'any' = 'sequential'): QuoteVersionInput {
  const content = {
    version: n,
    expiresAt: EXPIRES,
    lines: [{ id: 'qli_1' }],
    signing: {
      order,
      signers: [
        { id: 'signer_1', kind: 'customer', name: 'Ada', email: 'ada@example.com' },
        { id: 'signer_2', kind: 'customer', name: 'Bob', email: 'bob@example.com' },
        { id: 'signer_3', kind: 'internal', name: 'Carla', email: 'carla@seller.example' },
      ],
    },
  } as unknown as QuoteContent;
  return { content, contentHash: hash, totals: { discountPpm: 0 } as QuoteVersionInput['totals'], requiresApproval: false };
}

function state(overrides: Partial<QuoteState> = {}): QuoteState {
  return {
    stage: 'sent',
    version: version(2, 'h2'),
    supersededHashes: ['h1'],
    sentAt: '2031-01-01T00:00:00.000Z',
    approvedBy: null,
    approvedAt: null,
    signatures: [],
    transitions: [],
    remindersSent: [],
    invoiceId: null,
    instalmentPlanId: null,
    subscriptionIds: [],
    paymentStatus: 'none',
    acceptedAt: null,
    fulfilledAt: null,
    declinedAt: null,
    declineReason: null,
    voidedAt: null,
    voidReason: null,
    expiredAt: null,
    ...overrides,
  };
}

const sign = (email: string, contentHash = 'h2', kind: 'customer' | 'internal' = 'customer'): SignQuoteRequest => ({ kind, name: 'X', email, ip: '203.0.113.1', contentHash });
const signature = (signerId: string, hash = 'h2', superseded = false): QuoteSignatureRecord => ({
  signerId,
  kind: 'customer',
  name: 'X',
  email: 'x@example.com',
  ip: '203.0.113.1',
  signedAt: '2031-01-01T00:00:00.000Z',
  version: hash === 'h2' ? 2 : 1,
  contentHash: hash,
  superseded,
});

const code = (rule: () => unknown): string | null => {
  try {
    rule();
    return null;
  } catch (err) {
    if (err instanceof QuoteRuleError) return err.code;
    throw err;
  }
};

describe('signing', () => {
  test('sequential: the first pending signer signs, with the current hash; emails match case-insensitively', () => {
    expect(signRule(state(), sign('ADA@example.com'), NOW).id).toBe('signer_1');
    expect(code(() => signRule(state(), sign('bob@example.com'), NOW))).toBe('out_of_order');
    const afterAda = state({ stage: 'signing', signatures: [signature('signer_1')] });
    expect(signRule(afterAda, sign('bob@example.com'), NOW).id).toBe('signer_2');
    expect(code(() => signRule(afterAda, sign('carla@seller.example', 'h2', 'internal'), NOW))).toBe('out_of_order');
  });

  test('any order: whoever has not signed yet', () => {
    const s = state({ version: version(2, 'h2', 'any') });
    expect(signRule(s, sign('carla@seller.example', 'h2', 'internal'), NOW).id).toBe('signer_3');
    expect(signRule(s, sign('bob@example.com'), NOW).id).toBe('signer_2');
  });

  test('a superseded version, an unknown hash, a stranger, a second signature, the wrong kind', () => {
    expect(code(() => signRule(state(), sign('ada@example.com', 'h1'), NOW))).toBe('version_superseded');
    expect(code(() => signRule(state(), sign('ada@example.com', 'hx'), NOW))).toBe('content_hash_mismatch');
    expect(code(() => signRule(state(), sign('eve@example.com'), NOW))).toBe('not_a_signer');
    expect(code(() => signRule(state(), sign('carla@seller.example', 'h2', 'customer'), NOW))).toBe('not_a_signer');
    expect(code(() => signRule(state({ signatures: [signature('signer_1')] }), sign('ada@example.com'), NOW))).toBe('already_signed');
  });

  test('a signature on a superseded version does not count: that signer signs again', () => {
    const s = state({ signatures: [signature('signer_1', 'h1', true)] });
    expect(pendingSigners(s).map((x) => x.id)).toEqual(['signer_1', 'signer_2', 'signer_3']);
    expect(signRule(s, sign('ada@example.com'), NOW).id).toBe('signer_1');
  });

  test('expired (by the timer, or past the date before it fired), and stages that cannot be signed', () => {
    expect(code(() => signRule(state({ stage: 'expired' }), sign('ada@example.com'), NOW))).toBe('quote_expired');
    expect(code(() => signRule(state(), sign('ada@example.com'), Date.parse(EXPIRES)))).toBe('quote_expired');
    expect(code(() => signRule(state({ stage: 'draft' }), sign('ada@example.com'), NOW))).toBe('quote_not_signable');
    expect(code(() => signRule(state({ stage: 'pending_approval' }), sign('ada@example.com'), NOW))).toBe('quote_not_signable');
    expect(code(() => signRule(state({ stage: 'accepted' }), sign('ada@example.com'), NOW))).toBe('quote_not_signable');
    expect(code(() => declineRule(state({ stage: 'declined' }), { name: null, email: null, reason: null }, NOW))).toBe('quote_not_signable');
  });
});

describe('drafts, sending, revisions, voiding', () => {
  test('a draft edit needs the draft it was made from and keeps the version number', () => {
    const draft = state({ stage: 'draft', version: version(1, 'h1'), supersededHashes: [] });
    expect(code(() => updateDraftRule(draft, { baseHash: 'h1', version: version(1, 'h1b'), by: 'sam' }))).toBeNull();
    expect(code(() => updateDraftRule(draft, { baseHash: 'old', version: version(1, 'h1b'), by: 'sam' }))).toBe('quote_changed');
    expect(code(() => updateDraftRule(draft, { baseHash: 'h1', version: version(2, 'h1b'), by: 'sam' }))).toBe('version_mismatch');
    expect(code(() => updateDraftRule(state(), { baseHash: 'h2', version: version(2, 'h2b'), by: 'sam' }))).toBe('quote_not_draft');
  });

  test('only a draft is sent, and not past its expiry', () => {
    expect(code(() => sendRule(state({ stage: 'draft' }), NOW))).toBeNull();
    expect(code(() => sendRule(state(), NOW))).toBe('quote_not_draft');
    expect(code(() => sendRule(state({ stage: 'draft' }), Date.parse(EXPIRES) + 1))).toBe('quote_expired');
  });

  test('a revision is the next version of a sent quote, from its current content', () => {
    const next = version(3, 'h3');
    expect(code(() => reviseRule(state({ stage: 'signing' }), { baseHash: 'h2', version: next, by: 'sam', reason: null }, NOW))).toBeNull();
    expect(code(() => reviseRule(state(), { baseHash: 'h1', version: next, by: 'sam', reason: null }, NOW))).toBe('quote_changed');
    expect(code(() => reviseRule(state(), { baseHash: 'h2', version: version(2, 'h3'), by: 'sam', reason: null }, NOW))).toBe('version_mismatch');
    expect(code(() => reviseRule(state({ stage: 'draft' }), { baseHash: 'h2', version: next, by: 'sam', reason: null }, NOW))).toBe('quote_not_revisable');
    expect(code(() => reviseRule(state({ stage: 'accepted' }), { baseHash: 'h2', version: next, by: 'sam', reason: null }, NOW))).toBe('quote_not_revisable');
  });

  test('voiding is for quotes not accepted yet', () => {
    for (const stage of ['draft', 'pending_approval', 'sent', 'signing'] as const) expect(code(() => voidRule(state({ stage })))).toBeNull();
    for (const stage of ['accepted', 'awaiting_payment', 'fulfilled', 'declined', 'expired', 'voided'] as const) expect(code(() => voidRule(state({ stage })))).toBe('quote_closed');
  });
});

test('a broken rule becomes a non-retryable failure with its code, which the API maps to 409 or 422', () => {
  let failure: unknown;
  try {
    asQuoteRuleFailure(() => signRule(state(), sign('ada@example.com', 'h1'), NOW));
  } catch (err) {
    failure = err;
  }
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: QUOTE_RULE_FAILURE, details: ['version_superseded'], nonRetryable: true });
  expect(QUOTE_STATE_CODES.has('version_superseded')).toBe(true);
  expect(QUOTE_STATE_CODES.has('not_a_signer')).toBe(false);
});
