import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { Db, type Tx } from '../db.service';
import { Program, ProgramItem } from '../entities';

export type NewProgram = Pick<
  Program,
  | 'organizationId'
  | 'patientId'
  | 'startDate'
  | 'walkingGoalDailySteps'
  | 'restGapDays'
  | 'createdByKeyId'
>;

export type NewProgramItem = Omit<ProgramItem, 'organizationId' | 'programId'>;

/** Ends the program's open hold, if any: resumed by a clinician, or replaced by a new version. */
const END_HOLD = `UPDATE program_holds SET ended_at = now()
  WHERE organization_id = $1 AND program_id = $2 AND ended_at IS NULL`;

/** Marks the patient's adherence out of date: the worker recomputes it within seconds. */
const MARK_ADHERENCE = `INSERT INTO adherence_dirty (organization_id, patient_id) VALUES ($1, $2)`;

/** Programs (versioned prescriptions), their items, and the holds the rules put them on. */
@Injectable()
export class ProgramsRepository {
  constructor(private readonly db: Db) {}

  /** The patient's current (not superseded) program, whatever its status. */
  current(organizationId: string, patientId: string): Promise<Program | null> {
    return this.db.current
      .getRepository(Program)
      .findOneBy({ organizationId, patientId, supersededAt: IsNull() });
  }

  byId(id: string): Promise<Program | null> {
    return this.db.current.getRepository(Program).findOneBy({ id });
  }

  /** The program, locked until `tx` ends. */
  lock(tx: Tx, organizationId: string, id: string): Promise<Program> {
    return tx.findOneOrFail(Program, {
      where: { organizationId, id },
      lock: { mode: 'pessimistic_write' },
    });
  }

  history(organizationId: string, patientId: string): Promise<Program[]> {
    return this.db.current.getRepository(Program).find({
      where: { organizationId, patientId },
      order: { version: 'DESC' },
    });
  }

  itemsOf(organizationId: string, programIds: string[]): Promise<ProgramItem[]> {
    if (programIds.length === 0) return Promise.resolve([]);
    return this.db.current
      .getRepository(ProgramItem)
      .createQueryBuilder('i')
      .where('i.organization_id = :org AND i.program_id = ANY(:ids)', {
        org: organizationId,
        ids: programIds,
      })
      .getMany();
  }

  /**
   * A new version: the current one (if any) is completed, superseded and its hold ended; the
   * new one is active from its start date. The caller holds the patient's lock.
   */
  async insertVersion(
    tx: Tx,
    current: Program | null,
    program: NewProgram,
    items: NewProgramItem[],
  ): Promise<{ program: Program; items: ProgramItem[] }> {
    const [{ next }] = await tx.query<{ next: number }[]>(
      `SELECT COALESCE(max(version), 0) + 1 AS next FROM programs WHERE organization_id = $1 AND patient_id = $2`,
      [program.organizationId, program.patientId],
    );
    if (current) {
      await tx.update(
        Program,
        { organizationId: current.organizationId, id: current.id },
        {
          supersededAt: () => 'now()',
          status: 'completed',
          statusReason: 'superseded',
          statusChangedAt: () => 'now()',
        },
      );
      await tx.query(END_HOLD, [current.organizationId, current.id]);
    }
    const saved = await tx.save(
      tx.create(Program, {
        ...program,
        version: next,
        status: 'active',
        statusReason: null,
        supersedesProgramId: current?.id ?? null,
      }),
    );
    const rows = items.map((item) =>
      tx.create(ProgramItem, {
        ...item,
        organizationId: saved.organizationId,
        programId: saved.id,
      }),
    );
    await tx.insert(ProgramItem, rows);
    // A new prescription changes what is due from its start: flags follow within a minute.
    await tx.query(MARK_ADHERENCE, [program.organizationId, program.patientId]);
    const stored = await tx.findOneByOrFail(Program, {
      organizationId: saved.organizationId,
      id: saved.id,
    });
    return { program: stored, items: rows };
  }

  /** A paused or suspended program resumed: its hold ends, its days are prescribed again. */
  async resume(tx: Tx, program: Program): Promise<Program> {
    await tx.update(
      Program,
      { organizationId: program.organizationId, id: program.id },
      { status: 'active', statusReason: 'resumed', statusChangedAt: () => 'now()' },
    );
    await tx.query(END_HOLD, [program.organizationId, program.id]);
    await tx.query(MARK_ADHERENCE, [program.organizationId, program.patientId]);
    return tx.findOneByOrFail(Program, { organizationId: program.organizationId, id: program.id });
  }
}
