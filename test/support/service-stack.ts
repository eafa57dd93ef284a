import { Client, Connection } from '@temporalio/client';
import { openDatabase, type MikroORM } from '../../db/orm';
import { requireEnv } from './env';

/** What a service test calls services with: the run's database and a Temporal client (Jest's global setup starts both). */
export interface ServiceStack {
  orm: MikroORM;
  temporal: Client;
  close(): Promise<void>;
}

export async function openServiceStack(): Promise<ServiceStack> {
  const orm = await openDatabase(requireEnv('DATABASE_URL'));
  const connection = await Connection.connect({ address: requireEnv('TEMPORAL_ADDRESS') });
  const temporal = new Client({ connection, namespace: requireEnv('TEMPORAL_NAMESPACE') });
  return {
    orm,
    temporal,
    async close() {
      await connection.close();
      await orm.close(true);
    },
  };
}
