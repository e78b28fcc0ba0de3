import { readWrittenTime } from '@app/domain';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/** A page of a list ordered by (created_at, id), and the cursor of the next one. */
export interface KeysetPage<T> {
  data: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

/** A cursor this service did not write: the API answers 400 for it. */
export class InvalidCursorError extends Error {
  constructor() {
    super('the cursor is not one this API returned');
  }
}

interface CursorPosition {
  createdAt: string;
  id: string;
}

// Exactly what encodeCursor writes: created_at to the microsecond in UTC, and a uuid.
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EARLIEST_CURSOR = '2000-01-01';

function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

/**
 * The position a cursor names, checked whole before it reaches a query: a cursor is opaque,
 * but a crafted one (another date format, year +275760, an id that is not a uuid) is refused.
 */
function decodeCursor(cursor: string): CursorPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  if (Array.isArray(decoded) && decoded.length === 2) {
    const [createdAt, id] = decoded as unknown[];
    if (
      typeof createdAt === 'string' &&
      typeof id === 'string' &&
      CURSOR_TIME.test(createdAt) &&
      createdAt >= EARLIEST_CURSOR &&
      typeof readWrittenTime(createdAt, 'rfc3339') !== 'string' &&
      UUID.test(id)
    ) {
      return { createdAt, id };
    }
  }
  throw new InvalidCursorError();
}

/**
 * Keyset pagination on (created_at, id): stable while rows are added, and as fast on the last
 * page as on the first.
 */
export async function keysetPage<T extends ObjectLiteral & { id: string }>(
  qb: SelectQueryBuilder<T>,
  page: PageRequest,
): Promise<KeysetPage<T>> {
  const alias = qb.alias;
  if (page.cursor) {
    const position = decodeCursor(page.cursor);
    qb.andWhere(`(${alias}.created_at, ${alias}.id) > (:cursorCreatedAt, :cursorId)`, {
      cursorCreatedAt: position.createdAt,
      cursorId: position.id,
    });
  }
  // The cursor keeps created_at to the microsecond: a JavaScript Date would round it to the
  // millisecond and repeat rows across pages.
  const { entities, raw } = await qb
    .addSelect(
      `to_char(${alias}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      'cursor_created_at',
    )
    .orderBy(`${alias}.created_at`, 'ASC')
    .addOrderBy(`${alias}.id`, 'ASC')
    .limit(page.limit + 1)
    .getRawAndEntities<{ cursor_created_at: string }>();
  const data = entities.slice(0, page.limit);
  const last = data[data.length - 1];
  const lastRaw = raw[data.length - 1];
  return {
    data,
    nextCursor:
      entities.length > page.limit && last && lastRaw
        ? encodeCursor({ createdAt: lastRaw.cursor_created_at, id: last.id })
        : null,
  };
}
