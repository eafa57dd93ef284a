/** The workflow bundle's entry point: every workflow type the billing worker runs. */
export { subscriptionWorkflow } from './subscription/workflow';
