import { MIGRATIONS } from '@app/migrations';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

describe('migrations index', () => {
  it('lists every migration file of migrations/, oldest first, each with up and down', () => {
    const files = readdirSync(join(__dirname, '../../../migrations'))
      .filter((f) => /^\d+-.+\.ts$/.test(f))
      .sort();
    const timestamps = files.map((f) => f.split('-')[0]);
    const listed = MIGRATIONS.map((m) => /(\d+)$/.exec(m.name)?.[1]);
    expect(listed).toEqual(timestamps);
    for (const migration of MIGRATIONS) {
      expect(typeof migration.prototype.up).toBe('function');
      expect(typeof migration.prototype.down).toBe('function');
    }
  });
});
