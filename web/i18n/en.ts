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
    numberCharacters: 'Enter the card number with the digits 0–9 only (spaces and dashes are fine).',
    numberLuhn: 'This card number is not valid: check it for a mistyped digit.',
    expiryMissing: 'Enter the expiry date.',
    authenticationRequired: 'Your bank asks you to confirm this card (3-D Secure). Complete authentication to save it: this step needs JavaScript turned on in your browser.',
    authenticationFailed: 'Authentication failed: your bank did not confirm this card. Try again or use another card.',
    threeDSecureTitle: 'Confirm your card',
    threeDSecureText: 'Test mode: this is where your bank would ask you to confirm the card (3-D Secure). Choose how the test authentication ends.',
    completeAuthentication: 'Complete authentication',
    failAuthentication: 'Fail authentication',
    stripeElementLabel: 'Card details, entered securely with Stripe',
    stripeNotice: 'Your card details go straight to Stripe, our payment processor; they never reach this site.',
    stripeLoadFailed: 'The card form could not load. Check your connection, then reload the page.',
    stripeIncomplete: 'Enter your card details, then submit the form again.',
    stripeUnknownSetup: 'We could not find this card entry. Reload the page and enter your card again.',
    stripeAuthenticationRequired: 'Your bank asks you to confirm this card. Complete the authentication, then submit again.',
    stripeDeclined: 'Your card was not saved: the bank declined it or the authentication failed. Try again or use another card.',
    stripeProcessing: 'Your bank is still confirming this card. Wait a moment, then submit again.',
    stripeUnavailable: 'We could not reach our payment processor. Nothing was charged. Try again in a moment.',
  },
} as const;

/** The shape every locale's strings follow: the same sections and keys as English. */
export type Strings = { [Section in keyof typeof en]: { [Key in keyof (typeof en)[Section]]: string } };
