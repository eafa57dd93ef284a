/** How the portal writes a price: "$29.00 per month", "$90.00 every 3 months", "$150.00 one-time". */
import type { Price } from '../../db/entities';
import type { Formatters } from '../i18n';

export function priceLabel(price: Pick<Price, 'unitAmount' | 'currency' | 'type' | 'intervalUnit' | 'intervalCount'>, { t, money }: Pick<Formatters, 't' | 'money'>): string {
  const amount = money(price.unitAmount, price.currency);
  if (price.type !== 'recurring' || !price.intervalUnit) return t('portal.priceOneTime', { amount });
  const count = price.intervalCount ?? 1;
  return count === 1 ? t(`portal.pricePer_${price.intervalUnit}`, { amount }) : t(`portal.priceEvery_${price.intervalUnit}`, { amount, count });
}
