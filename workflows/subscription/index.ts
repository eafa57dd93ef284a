export * from './contract';
export { LifecycleRuleError } from './lifecycle';
export { subscriptionWorkflow, BOUNDARIES_PER_RUN } from './workflow';
