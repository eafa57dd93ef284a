export * from './money';
export * from './frequency';
export * from './calendar';
