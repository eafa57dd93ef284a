/**
 * A customer asks for a sign-in link on the portal's sign-in page with an email address. Every customer
 * with that address (case-insensitive; staff may have created more than one) gets its own link, sent by
 * the worker (workflows/portal-sign-in). The caller answers the same page whether or not any customer
 * matched, so the page tells nobody which addresses have an account.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { portalSignInWorkflowId, type PortalSignInInput } from '../../workflows/portal-sign-in/contract';
import { CustomerIdAttribute } from '../../workflows/shared/search-attributes';

/** At most this many accounts share one address; more would be a mail bomb, not a sign-in. */
const MAX_ACCOUNTS_PER_EMAIL = 5;

/** The customers whose email is `email`, compared case-insensitively, oldest first. */
export async function customersWithEmail(orm: MikroORM, email: string, limit = MAX_ACCOUNTS_PER_EMAIL): Promise<Customer[]> {
  const em = orm.em.fork();
  const rows = await em.execute<{ id: string }[]>('select id from customers where lower(email) = lower(?) order by id limit ?', [email.trim(), limit]);
  return rows.length ? em.find(Customer, { id: { $in: rows.map((r) => r.id) } }, { orderBy: { id: 'asc' } }) : [];
}

/** Starts one sign-in email per matching customer; answers how many were started (for logs only, never for the page). */
export async function requestSignInLinks({ orm, temporal, taskQueue }: { orm: MikroORM; temporal: Client; taskQueue: string }, email: string, now = new Date()): Promise<number> {
  const customers = await customersWithEmail(orm, email);
  for (const customer of customers) {
    const requestId = newId('portalSignInLink');
    const input: PortalSignInInput = { requestId, customerId: customer.id, requestedAt: now.toISOString() };
    try {
      await temporal.workflow.start('portalSignInWorkflow', {
        taskQueue,
        workflowId: portalSignInWorkflowId(requestId),
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [{ key: CustomerIdAttribute, value: customer.id }],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return customers.length;
}
