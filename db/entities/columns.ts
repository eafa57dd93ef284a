import { BigIntType } from '@mikro-orm/core';

/**
 * Money columns are PostgreSQL bigint holding integer minor units. They map to JS numbers because
 * every amount stays far below Number.MAX_SAFE_INTEGER (9e15 minor units), and money is never a float.
 */
export const minorUnits = () => ({ type: new BigIntType('number'), columnType: 'bigint' }) as const;

export const timestamptz = (nullable = false) => ({ type: 'Date', columnType: 'timestamptz', nullable }) as const;
