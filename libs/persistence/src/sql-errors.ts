import { QueryFailedError } from 'typeorm';

/** The SQLSTATE of a driver error (`23505`, `3D000`, …), if it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const UNIQUE_VIOLATION = '23505';

/** A statement refused because a row with the same unique fields already exists. */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof QueryFailedError && sqlState(err) === UNIQUE_VIOLATION;
}
