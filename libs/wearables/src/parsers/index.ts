import type { ImportFormat, Parser } from '../types';
import { parseNative } from './native';

export const PARSERS: Partial<Record<ImportFormat, Parser>> = {
  native: parseNative,
};
