import { Pool, type PoolClient, type PoolConfig } from 'pg';

/** Where a query can run: the pool, or one checked-out connection (inside a transaction). */
export type Queryable = Pool | PoolClient;

/**
 * A pool that survives losing its connections. PostgreSQL cuts them on a restart, a failover or a dropped database
 * (57P01, "terminating connection due to administrator command"); an idle client then emits 'error', and a pool
 * without a listener rethrows it and ends the process. pool.end() does not wait for its clients to finish closing,
 * so even a pool that was ended can still see that error. The next query simply opens a new connection.
 */
export function createPool(config: PoolConfig, onIdleError: (error: Error) => void): Pool {
  const pool = new Pool(config);
  pool.on('error', onIdleError);
  return pool;
}

/**
 * Runs `work` in a transaction on one pooled connection: COMMIT if it returns, ROLLBACK if it throws.
 *
 * A checked-out client has no pool listener for 'error', and PostgreSQL cutting its connection (a restart) makes it
 * emit one after failing its query: heard by nobody, that ends the process. Heard here, the caller gets the query's
 * error, and a connection that failed is thrown away instead of going back to the pool.
 */
export async function withTransaction<T>(db: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken: Error | undefined;
  const onConnectionError = (error: Error) => {
    broken = error;
  };
  client.on('error', onConnectionError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken ??= rollbackError;
    });
    throw error;
  } finally {
    client.off('error', onConnectionError);
    client.release(broken);
  }
}
