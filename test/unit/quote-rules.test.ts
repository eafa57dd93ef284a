/**
 * The quote workflow's rules as pure functions: what its update validators refuse (the API's 409/422)
 * and what they allow. The workflow and API tests drive the same rules end to end.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { QuoteContent } from '../../domain/quote';
import { RuleViolation, ruleKind } from '../../domain/rule-violation';
import type { LegacySignQuoteRequest, QuoteSignatureRecord, QuoteState, QuoteVersionInput, SignQuoteRequest } from '../../workflows/quote/contract';
import {
  QUOTE_RULE_FAILURE,
  asQuoteRuleFailure,
  declineRule,
  legacySignRule,
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
        { id: 'signer_3', kind: 'internal', name: 'Carla', email: 'carla@seller.example', apiKeyId: 'key_carla' },
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

/** A customer signing through their own link (`link_<signer>`, sent with `linkVersion`). */
const sign = (signerId: string, contentHash = 'h2', linkVersion = 2): SignQuoteRequest => ({
  signerId,
  linkId: `link_${signerId}`,
  linkVersion,
  apiKeyId: null,
  ip: '203.0.113.1',
  userAgent: 'Mozilla/5.0',
  contentHash,
});
/** An internal signer countersigning with the API key `apiKeyId` (as signer `signerId`, which the API looked up by key). */
const countersign = (apiKeyId: string, signerId = 'signer_3', contentHash = 'h2'): SignQuoteRequest => ({
  signerId,
  linkId: null,
  linkVersion: null,
  apiKeyId,
  ip: '198.51.100.2',
  userAgent: null,
  contentHash,
});
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
    if (err instanceof RuleViolation) return err.code;
    throw err;
  }
};

describe('signing', () => {
  test('sequential: the first pending signer signs, with the current hash', () => {
    expect(signRule(state(), sign('signer_1'), NOW).id).toBe('signer_1');
    expect(code(() => signRule(state(), sign('signer_2'), NOW))).toBe('out_of_order');
    const afterAda = state({ stage: 'signing', signatures: [signature('signer_1')] });
    expect(signRule(afterAda, sign('signer_2'), NOW).id).toBe('signer_2');
    expect(code(() => signRule(afterAda, countersign('key_carla'), NOW))).toBe('out_of_order');
  });

  test('any order: whoever has not signed yet', () => {
    const s = state({ version: version(2, 'h2', 'any') });
    expect(signRule(s, countersign('key_carla'), NOW).id).toBe('signer_3');
    expect(signRule(s, sign('signer_2'), NOW).id).toBe('signer_2');
  });

  test('a superseded version, an unknown hash, a stranger, a second signature, the wrong kind', () => {
    expect(code(() => signRule(state(), sign('signer_1', 'h1'), NOW))).toBe('version_superseded');
    expect(code(() => signRule(state(), sign('signer_1', 'hx'), NOW))).toBe('content_hash_mismatch');
    expect(code(() => signRule(state(), sign('signer_9'), NOW))).toBe('not_a_signer');
    expect(code(() => signRule(state(), sign('signer_3'), NOW))).toBe('not_a_signer'); // a link never signs for an internal signer
    expect(code(() => signRule(state({ signatures: [signature('signer_1')] }), sign('signer_1'), NOW))).toBe('already_signed');
  });

  test('a link signs only for the version it was sent with', () => {
    expect(code(() => signRule(state(), sign('signer_1', 'h2', 1), NOW))).toBe('link_superseded');
    expect(ruleKind('link_superseded')).toBe('conflict');
  });

  test('an internal signer signs only with the API key bound to them', () => {
    const s = state({ version: version(2, 'h2', 'any') });
    expect(code(() => signRule(s, countersign('key_other'), NOW))).toBe('not_a_signer');
    expect(code(() => signRule(s, countersign('key_carla', 'signer_1'), NOW))).toBe('not_a_signer'); // a key is no customer's link
    const unbound = version(2, 'h2', 'any');
    delete (unbound.content.signing.signers[2] as { apiKeyId?: string }).apiKeyId;
    expect(code(() => signRule(state({ version: unbound }), countersign('key_carla'), NOW))).toBe('not_a_signer');
  });

  test('refusals name no other signer', () => {
    const afterAda = state({ stage: 'signing', signatures: [signature('signer_1')] });
    const messages: string[] = [];
    for (const [s, request] of [
      [state(), sign('signer_2')],
      [afterAda, countersign('key_carla')],
      [afterAda, sign('signer_1')],
      [state(), sign('signer_9')],
      [state(), countersign('key_other')],
    ] as const) {
      try {
        signRule(s, request, NOW);
      } catch (err) {
        messages.push((err as Error).message);
      }
    }
    expect(messages).toHaveLength(5);
    for (const message of messages) expect(message).not.toMatch(/ada|bob|carla|@/i);
  });

  test('the request that named its signer (replayed histories only) is refused by the rule new requests go through', () => {
    const legacy: LegacySignQuoteRequest = { kind: 'customer', name: 'Bob', email: 'bob@example.com', ip: '203.0.113.1', contentHash: 'h2' };
    expect(code(() => signRule(state({ version: version(2, 'h2', 'any') }), legacy, NOW))).toBe('signer_not_bound');
    // Replaying an old history applies the rule of its time.
    expect(legacySignRule(state({ version: version(2, 'h2', 'any') }), legacy, NOW).id).toBe('signer_2');
  });

  test('a signature on a superseded version does not count: that signer signs again', () => {
    const s = state({ signatures: [signature('signer_1', 'h1', true)] });
    expect(pendingSigners(s).map((x) => x.id)).toEqual(['signer_1', 'signer_2', 'signer_3']);
    expect(signRule(s, sign('signer_1'), NOW).id).toBe('signer_1');
  });

  test('expired (by the timer, or past the date before it fired), and stages that cannot be signed', () => {
    expect(code(() => signRule(state({ stage: 'expired' }), sign('signer_1'), NOW))).toBe('quote_expired');
    expect(code(() => signRule(state(), sign('signer_1'), Date.parse(EXPIRES)))).toBe('quote_expired');
    expect(code(() => signRule(state({ stage: 'draft' }), sign('signer_1'), NOW))).toBe('quote_not_signable');
    expect(code(() => signRule(state({ stage: 'pending_approval' }), sign('signer_1'), NOW))).toBe('quote_not_signable');
    expect(code(() => signRule(state({ stage: 'accepted' }), sign('signer_1'), NOW))).toBe('quote_not_signable');
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
    asQuoteRuleFailure(() => signRule(state(), sign('signer_1', 'h1'), NOW));
  } catch (err) {
    failure = err;
  }
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: QUOTE_RULE_FAILURE, details: ['version_superseded'], nonRetryable: true });
  expect(ruleKind('version_superseded')).toBe('conflict');
  expect(ruleKind('not_a_signer')).toBe('unprocessable');
});
