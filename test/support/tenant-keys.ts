import type { Client } from 'pg';

/** Where a table would live on a Citus cluster distributed by organization (docs/scaling.md). */
export type Placement = 'tenant' | 'reference' | 'local';

export interface Classification {
  /** Tenant tables distributed by a column of their own (the tenant itself: organizations.id). */
  tenantRoots: Readonly<Record<string, string>>;
  reference: readonly string[];
  local: readonly string[];
}

export interface TenantKeysReport {
  /** Every table of the schema that has a class, with it (partitions go with their parent). */
  placement: Record<string, Placement>;
  /** What a distribution by organization would refuse, one line each, sorted. */
  problems: string[];
}

interface TableRow {
  name: string;
  has_org: boolean;
  org_not_null: boolean;
  root_column_not_null: boolean | null;
}

interface KeyRow {
  table: string;
  name: string;
  kind: 'primary key' | 'unique key' | 'unique index' | 'exclusion constraint';
  first_column: string | null;
  columns: string;
}

interface ForeignKeyRow {
  table: string;
  name: string;
  parent: string;
  pairs: [string, string][];
}

/**
 * Reads the catalog of `schema` and says what keeps it from being distributed by organization:
 * a table in no class; a tenant table whose distribution column may be null, or whose primary
 * key, unique key, unique index or exclusion constraint does not start with that column; a
 * foreign key Citus would refuse (between tenant tables, not joined on their distribution
 * columns; from a reference table to any other kind; between a local and a tenant table).
 */
export async function checkTenantKeys(
  db: Client,
  schema: string,
  classes: Classification,
): Promise<TenantKeysReport> {
  const problems: string[] = [];
  const { rows: tables } = await db.query<TableRow>(
    `SELECT c.relname AS name,
            a.attnum IS NOT NULL AS has_org, coalesce(a.attnotnull, false) AS org_not_null,
            (SELECT r.attnotnull FROM pg_attribute r
              WHERE r.attrelid = c.oid AND r.attname = $2::jsonb ->> c.relname AND NOT r.attisdropped)
              AS root_column_not_null
     FROM pg_class c
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped
     WHERE c.relnamespace = to_regnamespace($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     ORDER BY c.relname`,
    [schema, JSON.stringify(classes.tenantRoots)],
  );

  const placement: Record<string, Placement> = {};
  const distribution = new Map<string, string>();
  for (const t of tables) {
    const root = classes.tenantRoots[t.name];
    if (classes.reference.includes(t.name)) placement[t.name] = 'reference';
    else if (classes.local.includes(t.name)) placement[t.name] = 'local';
    else if (root !== undefined || t.has_org) {
      placement[t.name] = 'tenant';
      const column = root ?? 'organization_id';
      distribution.set(t.name, column);
      const notNull = root !== undefined ? t.root_column_not_null : t.org_not_null;
      if (!notNull) problems.push(`${t.name}: ${column} may be null`);
    } else {
      problems.push(`${t.name}: in no class (no organization_id; a reference or local table?)`);
    }
  }
  const listed = [...Object.keys(classes.tenantRoots), ...classes.reference, ...classes.local];
  for (const name of listed.filter((n) => !tables.some((t) => t.name === n))) {
    problems.push(`${name}: classified, but there is no such table`);
  }

  const { rows: keys } = await db.query<KeyRow>(
    `SELECT t.relname AS table, i.relname AS name,
            CASE WHEN x.indisprimary THEN 'primary key'
                 WHEN con.contype = 'u' THEN 'unique key'
                 WHEN con.contype = 'x' THEN 'exclusion constraint'
                 ELSE 'unique index' END AS kind,
            (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum = x.indkey[0])
              AS first_column,
            (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), ', ' ORDER BY k)
               FROM generate_series(1, x.indnkeyatts) AS k) AS columns
     FROM pg_index x
     JOIN pg_class i ON i.oid = x.indexrelid
     JOIN pg_class t ON t.oid = x.indrelid
     LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = t.oid
     WHERE t.relnamespace = to_regnamespace($1) AND NOT t.relispartition
       AND (x.indisunique OR x.indisexclusion)
     ORDER BY 1, 2`,
    [schema],
  );
  for (const k of keys) {
    const column = distribution.get(k.table);
    if (column === undefined || k.first_column === column) continue;
    problems.push(`${k.table}: ${k.kind} ${k.name} (${k.columns}) does not start with ${column}`);
  }

  const { rows: foreignKeys } = await db.query<ForeignKeyRow>(
    `SELECT t.relname AS table, f.conname AS name, p.relname AS parent,
            (SELECT json_agg(json_build_array(ca.attname, pa.attname) ORDER BY k.n)
               FROM unnest(f.conkey, f.confkey) WITH ORDINALITY AS k(c, pk, n)
               JOIN pg_attribute ca ON ca.attrelid = f.conrelid AND ca.attnum = k.c
               JOIN pg_attribute pa ON pa.attrelid = f.confrelid AND pa.attnum = k.pk) AS pairs
     FROM pg_constraint f
     JOIN pg_class t ON t.oid = f.conrelid
     JOIN pg_class p ON p.oid = f.confrelid
     WHERE f.contype = 'f' AND t.relnamespace = to_regnamespace($1) AND NOT t.relispartition
     ORDER BY 1, 2`,
    [schema],
  );
  for (const fk of foreignKeys) {
    const from = placement[fk.table];
    const to = placement[fk.parent];
    if (from === undefined || to === undefined) continue;
    const what = `${fk.table}: foreign key ${fk.name} to ${fk.parent}`;
    if (from === 'tenant' && to === 'tenant') {
      const joined = fk.pairs.some(
        ([c, p]) => c === distribution.get(fk.table) && p === distribution.get(fk.parent),
      );
      if (!joined) problems.push(`${what} does not join on the organization`);
    } else if (from === 'reference' && to !== 'reference') {
      problems.push(`${what}: a reference table may only refer to reference tables`);
    } else if ((from === 'local') !== (to === 'local') && to !== 'reference') {
      problems.push(`${what}: a local and a tenant table cannot refer to each other`);
    }
  }
  return { placement, problems: problems.sort() };
}
