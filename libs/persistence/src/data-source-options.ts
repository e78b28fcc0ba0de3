import type { AppConfig } from '@app/config';
import { MIGRATIONS } from '@app/migrations';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { SnakeNamingStrategy } from 'typeorm-naming-strategies';
import { ENTITIES } from './entities';

/** Connects as the runtime role of DATABASE_URL unless given another URL (the owner's, to migrate). */
export function dataSourceOptions(
  config: Pick<AppConfig, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>,
  url = config.DATABASE_URL,
): PostgresConnectionOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: config.DATABASE_POOL_SIZE,
      connectionTimeoutMillis: 5000,
      // No JIT compilation: it pays off for queries running many seconds, and ours run in
      // milliseconds (the API) or about a second (a worker's chunk). PostgreSQL turns it on
      // above a planner cost that a 10,000-patient dashboard read or a 2,000-patient chunk
      // crosses, and compiling took 35 ms of a 45 ms dashboard statement (BENCHMARKS.md).
      options: '-c jit=off',
    },
  };
}
