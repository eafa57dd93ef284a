/**
 * Every English string the pages show, one section per page area. Templates read them with
 * `it.t('section.key', { name })`; `{name}` placeholders are filled in (and escaped by the template).
 * Another locale is another file with the same keys (web/i18n/index.ts picks it).
 */
export const en = {
  common: {
    skipToContent: 'Skip to main content',
    poweredBy: 'Payments by {company}',
    supportEmail: 'Questions? Write to {email}',
    notFoundTitle: 'Page not found',
    notFoundMessage: 'This link is not valid or is no longer available. Check that you copied the whole address, or ask the sender for a new link.',
    forbiddenTitle: 'This form has expired',
    forbiddenMessage: 'For your security, forms can only be sent from the page that showed them. Go back, reload the page and try again.',
    errorTitle: 'Something went wrong',
    errorMessage: 'We could not complete your request. Nothing was charged. Please try again in a moment.',
    badRequestTitle: 'We could not read that request',
    badRequestMessage: 'Go back, check what you entered and try again.',
    tooManyTitle: 'Too many attempts',
    tooManyMessage: 'Please wait a minute before trying again.',
    fixErrors: 'Please correct the highlighted fields.',
    required: 'Required',
  },
  cardEntry: {
    legend: 'Card details',
    number: 'Card number',
    expiry: 'Expiry date (MM / YY)',
    cvc: 'Security code (CVC)',
    sandboxNotice: 'Test mode: no real card is charged. Use 4242 4242 4242 4242 with any future date and any 3 digits.',
    numberMissing: 'Enter your card number.',
    numberInvalid: 'This card number is not valid.',
    numberNotTestCard: 'In test mode only Stripe test card numbers work, for example 4242 4242 4242 4242.',
    expiryInvalid: 'Enter the expiry date as MM / YY.',
    expiryPast: 'This card has expired.',
    cvcInvalid: 'The security code is the 3 or 4 digits on your card.',
  },
} as const;

/** The shape every locale's strings follow: the same sections and keys as English. */
export type Strings = { [Section in keyof typeof en]: { [Key in keyof (typeof en)[Section]]: string } };
