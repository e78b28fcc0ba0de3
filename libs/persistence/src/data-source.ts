// Entry point for the TypeORM CLI (`npm run migration:revert|generate`): as the schema's owner.
import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

const config = loadConfig();
if (!config.DATABASE_OWNER_URL) {
  throw new Error('migrations run as the owner of the schema: set DATABASE_OWNER_URL');
}

export default new DataSource(dataSourceOptions(config, config.DATABASE_OWNER_URL));
