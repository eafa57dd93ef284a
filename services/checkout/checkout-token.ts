/**
 * The token a checkout form carries: random (256 bits), minted when the page is rendered, and the
 * only way to reach the session it opens (its confirmation URL). Stored only as its SHA-256.
 */
import { createHash, randomBytes } from 'node:crypto';

export const CHECKOUT_TOKEN_PATTERN = /^cst_[A-Za-z0-9_-]{43}$/;

export const newCheckoutToken = (): string => `cst_${randomBytes(32).toString('base64url')}`;

export const checkoutTokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

export const isCheckoutToken = (value: unknown): value is string => typeof value === 'string' && CHECKOUT_TOKEN_PATTERN.test(value);
