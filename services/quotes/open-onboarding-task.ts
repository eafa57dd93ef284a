/**
 * The onboarding task a signed and paid quote opens for its account manager: one per quote, so
 * asking again returns the task already open.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { OnboardingTask, type Customer, type Quote } from '../../db/entities';
import { newId } from '../../db/ids';
import type { QuoteContent } from '../../domain/quote';

/** Who onboards the customer: the quote's account manager, else the customer's account owner, else who sold it. */
export const onboardingAssignee = (quote: Quote, customer: Customer): string => quote.accountManagerEmail ?? customer.accountOwnerEmail ?? quote.ownerEmail;

export async function openOnboardingTask(
  em: EntityManager,
  { quote, customer, content, paidAt }: { quote: Quote; customer: Customer; content: QuoteContent; paidAt: string },
): Promise<OnboardingTask> {
  await em.execute(
    `insert into onboarding_tasks (id, quote_id, customer_id, assignee_email, title, description, status, created_at)
     values (?, ?, ?, ?, ?, ?, 'open', ?) on conflict (quote_id) do nothing`,
    [
      newId('onboardingTask'),
      quote.id,
      customer.id,
      onboardingAssignee(quote, customer),
      `Onboard ${customer.name}`,
      `Quote ${quote.id} "${content.title}" was signed and paid; sold by ${content.owner.name} <${content.owner.email}>.`,
      new Date(paidAt),
    ],
  );
  // Inserted in SQL (on conflict: the task already open), so this reads the row, new or not.
  return em.findOneOrFail(OnboardingTask, { quoteId: quote.id });
}
