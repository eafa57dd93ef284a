export * from './contract';
export { subscriptionWorkflow, BOUNDARIES_PER_RUN } from './workflow';
