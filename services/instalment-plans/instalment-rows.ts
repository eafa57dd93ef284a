import type { PlanInstalment } from '../../domain/instalment-changes';

const toDate = (iso: string | null | undefined): Date | null => (iso ? new Date(iso) : null);

/** An instalment of the workflow's schedule as its row stores it (all but the row's ids). */
export const instalmentRowFields = (i: PlanInstalment) => ({
  kind: i.kind,
  dueDate: new Date(i.dueDate),
  amount: i.amount,
  principal: i.principal,
  interest: i.interest,
  remainingPrincipal: i.remainingPrincipal,
  status: i.status,
  invoiceId: i.invoiceId,
  paidAt: toDate(i.paidAt),
});
