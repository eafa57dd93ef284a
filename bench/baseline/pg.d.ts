// The part of `pg` (installed with @mikro-orm/postgresql, which has no types for it here) the bare-pg baseline uses.
declare module 'pg' {
  export class Pool {
    constructor(options: { connectionString: string; max: number });
    query<Row = Record<string, unknown>>(query: { name: string; text: string; values: unknown[] }): Promise<{ rows: Row[] }>;
    end(): Promise<void>;
  }
  const pg: { Pool: typeof Pool };
  export default pg;
}
