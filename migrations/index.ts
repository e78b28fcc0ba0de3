import { Foundation1763776800000 } from './1763776800000-Foundation';

/** Every migration, oldest first. A spec checks that no file in this folder is left out. */
export const MIGRATIONS = [Foundation1763776800000];
