import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey } from '../../db/entities';
import type { QuoteSigner } from '../../domain/quote';
import { invalidInput, missingReference } from '../../domain/rule-violation';
import type { QuoteCustomer, SignerRequest } from './quote-input';

/** The roles whose keys may countersign (those allowed on POST /v1/quotes/:id/countersign). */
const COUNTERSIGNING_ROLES: readonly string[] = ['admin', 'sales'];

/**
 * The signers of a version. Each internal signer is bound to one API key (named, or the key making
 * the request): only that key countersigns as them, so no key can sign in another person's name.
 * Customer signers are identified by their own emailed link instead.
 */
export async function resolveQuoteSigners(em: EntityManager, inputs: SignerRequest[] | undefined, customer: QuoteCustomer, callerKeyId: string | null): Promise<QuoteSigner[]> {
  const list = inputs ?? [{ kind: 'customer' as const, name: customer.name, email: customer.email }];
  const seen = new Set<string>();
  const keysTaken = new Set<string>();
  const signers: QuoteSigner[] = [];
  for (const [i, s] of list.entries()) {
    const key = `${s.kind}:${s.email.toLowerCase()}`;
    if (seen.has(key)) throw invalidInput(`signers[${i}][email]`, `${s.email} is already a ${s.kind} signer.`);
    seen.add(key);
    const signer: QuoteSigner = { id: `signer_${i + 1}`, kind: s.kind, name: s.name, email: s.email.toLowerCase() };
    if (s.kind === 'customer') {
      if (s.api_key !== undefined) throw invalidInput(`signers[${i}][api_key]`, 'A customer signer signs through their own link; api_key is for internal signers.');
    } else {
      const param = `signers[${i}][api_key]`;
      const keyId = s.api_key ?? callerKeyId;
      if (!keyId) throw invalidInput(param, 'An internal signer needs the API key that countersigns as them.');
      if (keysTaken.has(keyId)) throw invalidInput(param, `API key ${keyId} already countersigns as another internal signer; give each internal signer their own key.`);
      const apiKey = await em.findOne(ApiKey, { id: keyId });
      if (!apiKey || apiKey.revokedAt) throw missingReference(param, 'API key', keyId);
      if (!COUNTERSIGNING_ROLES.includes(apiKey.role)) throw invalidInput(param, `API key ${keyId} is an ${apiKey.role} key, which cannot countersign.`);
      keysTaken.add(keyId);
      signer.apiKeyId = keyId;
    }
    signers.push(signer);
  }
  if (!signers.some((s) => s.kind === 'customer')) throw invalidInput('signers', 'A quote needs at least one customer signer.');
  return signers;
}
