import { resolveProgramItems } from '@app/domain';
import { ClinicalRecordsService, endProgramHold, markAdherenceDirty } from '@app/clinical';
import { Db, Program, ProgramItem } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { ExercisesService } from '../exercises/exercises.service';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { PatientAccessService } from '../patients/patient-access.service';
import type { CreateProgramDto, ProgramDto } from './program.dto';

export function toProgramDto(program: Program, items: ProgramItem[]): ProgramDto {
  return {
    id: program.id,
    patientId: program.patientId,
    version: program.version,
    status: program.status,
    statusReason: program.statusReason,
    statusChangedAt: program.statusChangedAt,
    startDate: program.startDate,
    items: items
      .sort((a, b) => a.position - b.position)
      .map(({ organizationId: _o, programId: _p, ...item }) => item),
    walkingGoal: program.walkingGoalDailySteps
      ? { dailySteps: program.walkingGoalDailySteps }
      : null,
    restGapDays: program.restGapDays,
    supersedesProgramId: program.supersedesProgramId,
    createdAt: program.createdAt,
  };
}

@Injectable()
export class ProgramsService {
  constructor(
    private readonly db: Db,
    private readonly access: PatientAccessService,
    private readonly exercises: ExercisesService,
    private readonly clinical: ClinicalRecordsService,
  ) {}

  /** A new version; the current one is kept, marked completed and superseded. */
  async create(caller: Caller, patientId: string, input: CreateProgramDto): Promise<ProgramDto> {
    const catalog = await this.exercises.byCode(input.items.map((i) => i.exerciseCode));
    const { items, problems } = resolveProgramItems(input.items, catalog);
    return this.db.transaction(async (m) => {
      const patient = await this.access.lockVisible(m, caller, patientId);
      if (problems.length) throw validationProblem(problems);
      const current = await this.current(patient.organizationId, patient.id);
      const [{ next }] = await m.query<{ next: number }[]>(
        `SELECT COALESCE(max(version), 0) + 1 AS next FROM programs WHERE organization_id = $1 AND patient_id = $2`,
        [patient.organizationId, patient.id],
      );
      if (current) {
        await m.update(
          Program,
          { id: current.id },
          {
            supersededAt: () => 'now()',
            status: 'completed',
            statusReason: 'superseded',
            statusChangedAt: () => 'now()',
          },
        );
        await endProgramHold(m, current);
      }
      const program = await m.save(
        m.create(Program, {
          organizationId: patient.organizationId,
          patientId: patient.id,
          version: next,
          status: 'active',
          statusReason: null,
          startDate: input.startDate,
          walkingGoalDailySteps: input.walkingGoal?.dailySteps ?? null,
          restGapDays: input.restGapDays ?? 2,
          supersedesProgramId: current?.id ?? null,
          createdByKeyId: caller.keyId,
        }),
      );
      const rows = items.map((item) =>
        m.create(ProgramItem, {
          ...item,
          organizationId: program.organizationId,
          programId: program.id,
        }),
      );
      await m.insert(ProgramItem, rows);
      // A new prescription changes what is due from its start: flags follow within a minute.
      await markAdherenceDirty(m, patient.organizationId, patient.id);
      return toProgramDto(await m.findOneByOrFail(Program, { id: program.id }), rows);
    });
  }

  async active(caller: Caller, patientId: string): Promise<ProgramDto> {
    const patient = await this.access.findVisible(caller, patientId);
    const program = await this.current(patient.organizationId, patient.id);
    if (!program) throw new ProblemException(404, 'The patient has no program yet');
    return toProgramDto(program, await this.itemsOf(program));
  }

  async history(caller: Caller, patientId: string): Promise<{ data: ProgramDto[] }> {
    const patient = await this.access.findVisible(caller, patientId);
    const programs = await this.db.repo(Program).find({
      where: { organizationId: patient.organizationId, patientId: patient.id },
      order: { version: 'DESC' },
    });
    const items = programs.length
      ? await this.db
          .repo(ProgramItem)
          .createQueryBuilder('i')
          .where('i.program_id = ANY(:ids)', { ids: programs.map((p) => p.id) })
          .getMany()
      : [];
    return {
      data: programs.map((p) =>
        toProgramDto(
          p,
          items.filter((i) => i.programId === p.id),
        ),
      ),
    };
  }

  /** A clinician (of the patient) or an admin lifts a pause or a suspension. */
  async resume(caller: Caller, programId: string): Promise<ProgramDto> {
    return this.db.transaction(async (m) => {
      // Visibility is the patient's: another clinic's program, or one of a patient the key may
      // not see, is the same 404 as a missing one (and audited as a denial).
      const program = await m.findOneBy(Program, { id: programId });
      if (!program) throw notFound('program');
      await this.access.lockVisible(m, caller, program.patientId);
      const locked = await m.findOneOrFail(Program, {
        where: { id: program.id },
        lock: { mode: 'pessimistic_write' },
      });
      if (locked.supersededAt || (locked.status !== 'paused' && locked.status !== 'suspended')) {
        throw new ProblemException(
          409,
          `Only a paused or suspended current program can be resumed; this one is ${locked.supersededAt ? 'superseded' : locked.status}`,
        );
      }
      await m.update(
        Program,
        { id: locked.id },
        { status: 'active', statusReason: 'resumed', statusChangedAt: () => 'now()' },
      );
      await endProgramHold(m, locked);
      // The days from here on are prescribed again: flags and weeks follow within a minute.
      await markAdherenceDirty(m, locked.organizationId, locked.patientId);
      const resumed = await m.findOneByOrFail(Program, { id: locked.id });
      return toProgramDto(resumed, await this.itemsOf(resumed));
    });
  }

  private current(organizationId: string, patientId: string): Promise<Program | null> {
    return this.clinical.currentProgram(organizationId, patientId);
  }

  private itemsOf(program: Program): Promise<ProgramItem[]> {
    return this.db
      .repo(ProgramItem)
      .findBy({ organizationId: program.organizationId, programId: program.id });
  }
}
