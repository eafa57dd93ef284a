/** The workflow bundle's entry point: every workflow type the billing worker runs. */
export { subscriptionWorkflow } from './subscription/workflow';
export { refundWorkflow } from './refund/workflow';
export { invoiceCollectionWorkflow } from './invoice-collection/workflow';
export { instalmentPlanWorkflow } from './instalment-plan/workflow';
export { quoteWorkflow } from './quote/workflow';
export { portalSignInWorkflow } from './portal-sign-in/workflow';
export { checkoutWorkflow } from './checkout/workflow';
