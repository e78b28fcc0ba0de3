import { readAll } from '../payload';
import type { ParseContext, Payload } from '../types';

export type JsonObject = Record<string, unknown>;

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The JSON formats are read whole (a day or a push, never gigabytes), up to the same limit the
 * API accepted them under (IMPORT_JSON_MAX_BYTES).
 */
export async function readJson(payload: Payload, ctx: ParseContext): Promise<unknown> {
  // Some exporters write a UTF-8 byte order mark, which JSON.parse refuses.
  return JSON.parse((await readAll(payload, ctx.jsonMaxBytes)).replace(/^\uFEFF/, '')) as unknown;
}

export function objectOf(value: unknown): JsonObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : null;
}

export function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A number, also when sent as a string (`"523"`); null when it is not one. */
export function numberOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  // Decimal only: Number() would also read '0x1F' or '0b11'.
  if (typeof value === 'string' && DECIMAL.test(value.trim())) {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A non-empty trimmed string, or null. */
export function textOf(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
