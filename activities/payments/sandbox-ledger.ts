import type { MikroORM } from '@mikro-orm/postgresql';
import type { ChargeOutcome, ChargeRequest, RefundOutcome, RefundRequest } from './gateway';
import type { SandboxCharge, SandboxLedger, SandboxRefund } from './sandbox-gateway';

/** The sandbox gateway's charge memory in PostgreSQL, so every worker process and restart agrees on it. */
export class PostgresSandboxLedger implements SandboxLedger {
  constructor(private readonly orm: MikroORM) {}

  async recordOnce(idempotencyKey: string, request: ChargeRequest, outcome: ChargeOutcome): Promise<SandboxCharge> {
    const em = this.orm.em.fork();
    await em.execute(
      `insert into sandbox_charges (idempotency_key, request, outcome) values (?, ?::jsonb, ?::jsonb)
       on conflict (idempotency_key) do nothing`,
      [idempotencyKey, JSON.stringify(request), JSON.stringify(outcome)],
    );
    const [stored] = await em.execute<{ request: ChargeRequest; outcome: ChargeOutcome }[]>(
      `select request, outcome from sandbox_charges where idempotency_key = ?`,
      [idempotencyKey],
    );
    if (!stored) throw new Error(`sandbox charge ${idempotencyKey} vanished after insert`);
    return { request: stored.request, outcome: stored.outcome };
  }

  async recordRefundOnce(
    request: RefundRequest,
    decide: (charge: SandboxCharge | null, alreadyRefunded: number) => RefundOutcome,
  ): Promise<SandboxRefund> {
    return this.orm.em.fork().transactional(async (em) => {
      // The charge row is the lock every refund of that charge queues on, so the sum read below
      // cannot change before this refund is stored.
      const [charge] = await em.execute<{ request: ChargeRequest; outcome: ChargeOutcome }[]>(
        `select request, outcome from sandbox_charges where outcome ->> 'gatewayChargeId' = ? for update`,
        [request.gatewayChargeId],
      );
      const [existing] = await em.execute<SandboxRefund[]>(`select request, outcome from sandbox_refunds where idempotency_key = ?`, [
        request.idempotencyKey,
      ]);
      if (existing) return { request: existing.request, outcome: existing.outcome };

      const [refunded] = await em.execute<{ total: string }[]>(
        `select coalesce(sum(amount), 0) as total from sandbox_refunds
         where gateway_charge_id = ? and status in ('succeeded', 'pending')`,
        [request.gatewayChargeId],
      );
      const outcome = decide(charge ?? null, Number(refunded?.total ?? 0));
      // A refund of a charge the ledger does not know took no lock: a concurrent twin may win the key.
      await em.execute(
        `insert into sandbox_refunds (idempotency_key, gateway_charge_id, gateway_refund_id, amount, status, request, outcome)
         values (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb) on conflict (idempotency_key) do nothing`,
        [
          request.idempotencyKey,
          request.gatewayChargeId,
          outcome.gatewayRefundId,
          request.amount,
          outcome.status,
          JSON.stringify(request),
          JSON.stringify(outcome),
        ],
      );
      const [stored] = await em.execute<SandboxRefund[]>(`select request, outcome from sandbox_refunds where idempotency_key = ?`, [
        request.idempotencyKey,
      ]);
      if (!stored) throw new Error(`sandbox refund ${request.idempotencyKey} vanished after insert`);
      return { request: stored.request, outcome: stored.outcome };
    });
  }

  async findRefund(gatewayRefundId: string): Promise<SandboxRefund | null> {
    const [stored] = await this.orm.em
      .fork()
      .execute<SandboxRefund[]>(`select request, outcome from sandbox_refunds where gateway_refund_id = ?`, [gatewayRefundId]);
    return stored ? { request: stored.request, outcome: stored.outcome } : null;
  }
}
