/** `GET /v1/instalment-plans/balances`: what customers owe and have paid on instalment plans, per contract (./balances.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorSchema, invalidParam } from '../errors';
import { InstalmentBalance, balances } from './balances';
import { STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

export const instalmentBalancesRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  app.get(
    '/instalment-plans/balances',
    {
      config: { roles: STAFF },
      schema: {
        tags: ['instalment-plans'],
        summary: 'Totals paid and owed on the plans of a customer or a contract',
        description: 'One entry per currency. Give customer, contract_reference, or both.',
        querystring: Type.Object(
          {
            customer: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            contract_reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              object: Type.Literal('instalment_balances'),
              customer: Type.Union([Type.String(), Type.Null()]),
              contract_reference: Type.Union([Type.String(), Type.Null()]),
              data: Type.Array(InstalmentBalance),
            },
            { title: 'InstalmentBalances' },
          ),
          '4xx': ErrorSchema,
        },
      },
    },
    async (request) => {
      const { customer, contract_reference } = request.query;
      if (customer === undefined && contract_reference === undefined) throw invalidParam('customer', 'Give customer, contract_reference, or both.');
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (customer !== undefined) {
        conditions.push('p.customer_id = ?');
        params.push(customer);
      }
      if (contract_reference !== undefined) {
        conditions.push('p.contract_reference = ?');
        params.push(contract_reference);
      }
      return {
        object: 'instalment_balances' as const,
        customer: customer ?? null,
        contract_reference: contract_reference ?? null,
        data: await balances(orm.em.fork(), conditions.join(' and '), params),
      };
    },
  );
};
