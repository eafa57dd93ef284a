/**
 * How the portal names the saved payment method without asking the gateway: a sandbox test card by the
 * last digits of its test number, anything else as "a saved card".
 */
import type { Translate } from '../i18n';
import { SANDBOX_TEST_CARDS } from '../payments/card-entry';

export function cardLabel(paymentMethod: string | null, t: Translate): string | null {
  if (!paymentMethod) return null;
  const number = Object.entries(SANDBOX_TEST_CARDS).find(([, token]) => token === paymentMethod)?.[0];
  return number ? t('portal.testCardEnding', { last4: number.slice(-4) }) : t('portal.savedCard');
}
