import type { ClaimsDto } from './rtm.dto';

const COLUMNS = [
  'patient_id',
  'external_ref',
  'code',
  'units',
  'date_of_service',
  'from',
  'to',
  'data_days',
  'minutes',
  'interactive_contacts',
] as const;

/**
 * RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. A field
 * that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading quote.
 */
export function csvField(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The claims of a month as CSV, a header line then a line per claim. */
export function claimsCsv(claims: ClaimsDto): string {
  const lines = [COLUMNS.join(',')];
  for (const c of claims.data) {
    const e = c.evidence as {
      dataDays?: string[];
      totalMinutes?: number;
      interactiveContacts?: { startedAt: string; kind: string }[];
    };
    lines.push(
      [
        c.patientId,
        c.externalRef,
        c.code,
        c.units,
        c.dateOfService,
        c.from,
        c.to,
        (e.dataDays ?? []).join(' '),
        e.totalMinutes ?? '',
        (e.interactiveContacts ?? []).map((x) => `${x.startedAt} ${x.kind}`).join(' '),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
