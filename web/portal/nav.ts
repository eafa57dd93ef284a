/** The portal's navigation (the layout's `it.nav`), the current page marked for assistive technology. */
import type { Translate } from '../i18n';

export type PortalSection = 'home' | 'invoices' | 'subscriptions' | 'paymentMethod' | 'billingDetails';

const LINKS: [PortalSection, string, string][] = [
  ['home', '/portal', 'portal.navHome'],
  ['invoices', '/portal/invoices', 'portal.navInvoices'],
  ['subscriptions', '/portal/subscriptions', 'portal.navSubscriptions'],
  ['paymentMethod', '/portal/payment-method', 'portal.navPaymentMethod'],
  ['billingDetails', '/portal/billing-details', 'portal.navBillingDetails'],
];

export function portalNav(t: Translate, current: PortalSection) {
  return { label: t('portal.navLabel'), links: LINKS.map(([section, href, key]) => ({ href, text: t(key), current: section === current })) };
}
