import type { EntityManager } from 'typeorm';

export type HoldStatus = 'paused' | 'suspended';

/**
 * Records that a program went on hold (the rules paused or suspended it), or that a pause
 * became a suspension: one hold either way, so that it ends when the program resumes.
 * Written in the transaction that changes the program's status. The hold begins at `from`,
 * the time of the report that called for it (never later than now): a report an app sends
 * hours late still holds the program from when the patient reported.
 */
export async function holdProgram(
  m: EntityManager,
  program: { organizationId: string; id: string },
  status: HoldStatus,
  reason: string,
  from: Date,
): Promise<void> {
  await m.query(
    `INSERT INTO program_holds (organization_id, program_id, status, reason, started_at)
     VALUES ($1, $2, $3, $4, LEAST($5::timestamptz, now()))
     ON CONFLICT (program_id) WHERE ended_at IS NULL
       DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason`,
    [program.organizationId, program.id, status, reason, from],
  );
}

/** Ends the program's open hold, if any: resumed by a clinician, or replaced by a new version. */
export async function endProgramHold(
  m: EntityManager,
  program: { organizationId: string; id: string },
): Promise<void> {
  await m.query(
    `UPDATE program_holds SET ended_at = now()
     WHERE organization_id = $1 AND program_id = $2 AND ended_at IS NULL`,
    [program.organizationId, program.id],
  );
}
