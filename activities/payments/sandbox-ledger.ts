import type { MikroORM } from '@mikro-orm/postgresql';
import type { ChargeOutcome, ChargeRequest } from './gateway';
import type { SandboxCharge, SandboxLedger } from './sandbox-gateway';

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
}
