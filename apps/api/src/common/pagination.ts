import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { readWrittenTime } from '@app/domain';
import { ProblemException } from './problem';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page’s nextCursor' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export function pageSchema(itemRef: string): Record<string, unknown> {
  return {
    type: 'object',
    required: ['data', 'nextCursor'],
    properties: {
      data: { type: 'array', items: { $ref: itemRef } },
      nextCursor: { type: 'string', nullable: true },
    },
  };
}

interface CursorPosition {
  createdAt: string;
  id: string;
}

function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

// Exactly what encodeCursor writes: created_at to the microsecond in UTC, and a uuid.
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EARLIEST_CURSOR = '2000-01-01';

/**
 * The position a cursor names, checked whole before it reaches a query: a cursor is opaque,
 * but a crafted one (another date format, year +275760, an id that is not a uuid) is 400.
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
  throw new ProblemException(400, 'The cursor is not one this API returned', {
    errors: [{ field: 'cursor', message: 'is not a cursor this API returned' }],
  });
}

/**
 * Keyset pagination on (created_at, id): stable while rows are added, and as fast on the last
 * page as on the first.
 */
export async function paginate<T extends ObjectLiteral & { id: string }>(
  qb: SelectQueryBuilder<T>,
  query: PageQueryDto,
): Promise<Page<T>> {
  const alias = qb.alias;
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  if (query.cursor) {
    const position = decodeCursor(query.cursor);
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
    .limit(limit + 1)
    .getRawAndEntities<{ cursor_created_at: string }>();
  const data = entities.slice(0, limit);
  const last = data[data.length - 1];
  const lastRaw = raw[data.length - 1];
  return {
    data,
    nextCursor:
      entities.length > limit && last && lastRaw
        ? encodeCursor({ createdAt: lastRaw.cursor_created_at, id: last.id })
        : null,
  };
}

export class IdResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
}
