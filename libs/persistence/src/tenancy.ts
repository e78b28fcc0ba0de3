/**
 * How the schema would be placed on a Citus cluster distributed by organization (see
 * docs/scaling.md), and the organization of rows that belong to no clinic.
 *
 * test/tenant-keys.e2e-spec.ts holds the migrated schema to this: every table is a tenant
 * table (it has `organization_id`, or it is listed in TENANT_ROOTS), a reference table or a
 * local table, and a tenant table's primary key and unique keys start with its distribution
 * column. A new table without `organization_id` fails that spec until it is classified here.
 */

/**
 * The organization of rows of no clinic: audit rows of unauthenticated and operator calls, the
 * operator's Idempotency-Keys. A distribution column is never null; no organization has this id.
 */
export const PLATFORM_ORGANIZATION_ID = '00000000-0000-0000-0000-000000000000';

/** Tenant tables distributed by a column other than `organization_id`: the tenant itself. */
export const TENANT_ROOTS: Readonly<Record<string, string>> = { organizations: 'id' };

/** Replicated to every node: small, the same for every clinic, read with any clinic's rows. */
export const REFERENCE_TABLES: readonly string[] = ['exercises'];

/**
 * Kept on the coordinator alone: bookkeeping of the whole service that no clinic's statement
 * joins (TypeORM's migrations, the adherence planner's periods and their chunks).
 */
export const LOCAL_TABLES: readonly string[] = [
  'migrations',
  'adherence_periods',
  'adherence_period_chunks',
];
