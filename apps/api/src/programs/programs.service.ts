import { resolveProgramItems } from '@app/domain';
import { Db, Program, ProgramItem, ProgramsRepository } from '@app/persistence';
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
    private readonly programs: ProgramsRepository,
  ) {}

  /** A new version; the current one is kept, marked completed and superseded. */
  async create(caller: Caller, patientId: string, input: CreateProgramDto): Promise<ProgramDto> {
    const catalog = await this.exercises.byCode(input.items.map((i) => i.exerciseCode));
    const { items, problems } = resolveProgramItems(input.items, catalog);
    return this.db.transaction(async (tx) => {
      const patient = await this.access.lockVisible(tx, caller, patientId);
      if (problems.length) throw validationProblem(problems);
      const current = await this.programs.current(patient.organizationId, patient.id);
      const created = await this.programs.insertVersion(
        tx,
        current,
        {
          organizationId: patient.organizationId,
          patientId: patient.id,
          startDate: input.startDate,
          walkingGoalDailySteps: input.walkingGoal?.dailySteps ?? null,
          restGapDays: input.restGapDays ?? 2,
          createdByKeyId: caller.keyId,
        },
        items,
      );
      return toProgramDto(created.program, created.items);
    });
  }

  async active(caller: Caller, patientId: string): Promise<ProgramDto> {
    const patient = await this.access.findVisible(caller, patientId);
    const program = await this.programs.current(patient.organizationId, patient.id);
    if (!program) throw new ProblemException(404, 'The patient has no program yet');
    return toProgramDto(program, await this.itemsOf(program));
  }

  async history(caller: Caller, patientId: string): Promise<{ data: ProgramDto[] }> {
    const patient = await this.access.findVisible(caller, patientId);
    const programs = await this.programs.history(patient.organizationId, patient.id);
    const items = await this.programs.itemsOf(
      patient.organizationId,
      programs.map((p) => p.id),
    );
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
    return this.db.transaction(async (tx) => {
      // Visibility is the patient's: another clinic's program, or one of a patient the key may
      // not see, is the same 404 as a missing one (and audited as a denial).
      const program = await this.programs.byId(programId);
      if (!program) throw notFound('program');
      await this.access.lockVisible(tx, caller, program.patientId);
      const locked = await this.programs.lock(tx, program.organizationId, program.id);
      if (locked.supersededAt || (locked.status !== 'paused' && locked.status !== 'suspended')) {
        throw new ProblemException(
          409,
          `Only a paused or suspended current program can be resumed; this one is ${locked.supersededAt ? 'superseded' : locked.status}`,
        );
      }
      const resumed = await this.programs.resume(tx, locked);
      return toProgramDto(resumed, await this.itemsOf(resumed));
    });
  }

  private itemsOf(program: Program): Promise<ProgramItem[]> {
    return this.programs.itemsOf(program.organizationId, [program.id]);
  }
}
