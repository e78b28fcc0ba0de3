import { addDays } from '@app/domain';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DailyRow, importsOf, sourceLabel } from './support/imports';
import { withService } from './support/service';

// The conformance corpus: payloads in the documented shapes of each provider (test/fixtures/*),
// each with the daily totals worked out by hand next to it (`*.case.json`, with the working),
// posted through the API and imported by the worker in order.
const FIXTURES = join(__dirname, 'fixtures');

interface ExpectedDay {
  steps: number;
  activeMinutes?: number;
  manualSteps?: number;
  sources?: Record<string, number>;
}

interface CorpusCase {
  what: string;
  shape: string;
  format: string;
  timezone: string;
  payloads: string[];
  imports: Partial<
    Record<'received' | 'inserted' | 'updated' | 'duplicates' | 'rejected', number>
  > &
    { errors?: { index?: number; line?: number; reason: string }[] }[];
  days: Record<string, ExpectedDay>;
  workings: string[];
}

const cases = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.case.json'))
  .sort()
  .map((file) => ({
    file,
    dir: join(FIXTURES, file, '..'),
    spec: JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as CorpusCase,
  }));

/** The parts of a day the case states. */
function asStated(day: DailyRow, expected: ExpectedDay): ExpectedDay {
  return {
    steps: day.steps,
    ...(expected.activeMinutes !== undefined ? { activeMinutes: day.activeMinutes } : {}),
    ...(expected.manualSteps !== undefined ? { manualSteps: day.manualSteps } : {}),
    ...(expected.sources
      ? { sources: Object.fromEntries(day.sources.map((s) => [sourceLabel(s), s.steps])) }
      : {}),
  };
}

describe('device conformance corpus (test/fixtures)', () => {
  const service = withService();

  it('holds a case for every provider whose documented shapes broke', () => {
    const formats = new Set(cases.map(({ spec }) => spec.format));
    for (const format of ['apple-health-xml', 'garmin', 'openmhealth', 'fhir', 'health-connect']) {
      expect(formats).toContain(format);
    }
  });

  it.each(cases)('$file', async ({ dir, spec }) => {
    const imports = importsOf(service.t.http, service.c, service.t.db);
    const patient = await imports.patient(spec.timezone);
    for (const [i, name] of spec.payloads.entries()) {
      const result = await imports.run(
        patient.id,
        spec.format,
        readFileSync(join(dir, name), 'utf8'),
      );
      const { errors, ...counts } = spec.imports[i];
      expect({ payload: name, status: result.status, ...counts }).toEqual({
        payload: name,
        status: 'completed',
        ...Object.fromEntries(
          Object.keys(counts).map((k) => [k, result[k as keyof typeof counts]]),
        ),
      });
      expect(result.errors).toEqual(errors ?? []);
    }
    // A day before and after the stated ones: a day the case does not list must have no data.
    const dates = Object.keys(spec.days).sort();
    const rows = await imports.daily(
      patient.id,
      addDays(dates[0], -1),
      addDays(dates[dates.length - 1], 1),
    );
    const found = Object.fromEntries(
      rows.map((day) => [day.date, asStated(day, spec.days[day.date] ?? { steps: 0 })]),
    );
    expect(found).toEqual(spec.days);
  });
});
