import { ClinicalRecordsService, type NewPainReport } from '@app/records';
import {
  type PainReport,
  type ProgramState,
  RecordsRepository,
  type SessionLog,
  type StoredRef,
} from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { assertPlausibleInstant, Clock } from '../common/clock';
import { ProblemException, validationProblem } from '../common/problem';
import { ExercisesService } from '../exercises/exercises.service';
import { toFindingDto, toPainReportDto, toProgramStatus } from '../pain-reports/pain-report.views';
import { PatientAccessService } from '../patients/patient-access.service';
import { contentHash, WriteResult } from '../pain-reports/pain-reports.service';
import type { PainDto } from '../pain-reports/pain-report.dto';
import type { CreateSessionDto, SessionResultDto } from './session.dto';

@Injectable()
export class SessionsService {
  constructor(
    private readonly clock: Clock,
    private readonly access: PatientAccessService,
    private readonly exercises: ExercisesService,
    private readonly clinical: ClinicalRecordsService,
    private readonly records: RecordsRepository,
  ) {}

  /**
   * Writes a session, its pain before and after, and what the rules conclude: two statements
   * (in the request's transaction when an Idempotency-Key opened one), one that reads what the
   * rules need, one that writes it all if none of that changed meanwhile (see
   * ClinicalRecordsService.record).
   */
  async create(
    caller: Caller,
    patientId: string,
    input: CreateSessionDto,
  ): Promise<WriteResult<SessionResultDto>> {
    const now = this.clock.now();
    const performedAt = assertPlausibleInstant('performedAt', input.performedAt, now);
    const catalog = await this.exercises.byCode(input.items.map((i) => i.exerciseCode));
    const unknown = input.items
      .map((item, i) => ({ item, i }))
      .filter(({ item }) => !catalog.has(item.exerciseCode))
      .map(({ item, i }) => ({
        field: `items[${i}].exerciseCode`,
        message: `${item.exerciseCode} is not in the exercise catalog`,
      }));
    const hash = contentHash(input);
    const pains = linkedReports(performedAt, input);
    const session = {
      clientRef: input.clientRef,
      requestHash: hash,
      performedAt,
      durationMinutes: input.durationMinutes ?? null,
      items: input.items,
    };

    // Most sessions come without pain: nothing for the rules, one statement.
    if (pains.length === 0 && unknown.length === 0) {
      const alone = await this.clinical.writeSessionAlone(caller, patientId, session, caller.keyId);
      switch (alone.kind) {
        case 'not_visible':
          return this.access.notVisible(patientId);
        case 'existing':
          return this.replay(caller, alone.existing, hash, alone.program);
        case 'written':
          return {
            replayed: false,
            body: this.toDto(
              {
                ...session,
                id: alone.id,
                organizationId: caller.organizationId,
                patientId,
                programId: alone.programId,
                localDate: alone.localDate,
                exerciseCodes: null,
                createdByKeyId: caller.keyId,
                createdAt: alone.createdAt,
              },
              [],
              [],
              toProgramStatus(alone.program),
            ),
          };
        case 'raced':
          // Another request stored this clientRef meanwhile: the path below reads it.
          break;
      }
    }

    return this.clinical.record(async (scope) => {
      const ctx = await this.clinical.loadContext(
        scope,
        caller,
        patientId,
        { table: 'sessions', clientRefs: [input.clientRef] },
        pains.map((p) => p.reportedAt),
        now,
      );
      if (!ctx) return this.access.notVisible(patientId);
      if (unknown.length) throw validationProblem(unknown);
      const existing = ctx.existing.get(input.clientRef);
      if (existing) return this.replay(caller, existing, hash, ctx.program);
      const written = await this.clinical.write(scope, ctx, {
        session,
        reports: pains,
        createdByKeyId: caller.keyId,
        now,
      });
      return {
        replayed: false,
        body: this.toDto(
          written.session!,
          written.reports,
          written.findings.map(toFindingDto),
          toProgramStatus(written.program),
        ),
      };
    });
  }

  /** The clientRef is stored: the same session again is answered as stored, another is a conflict. */
  private async replay(
    caller: Caller,
    existing: StoredRef,
    hash: Buffer,
    program: ProgramState | null,
  ): Promise<WriteResult<SessionResultDto>> {
    if (!existing.requestHash?.equals(hash)) {
      throw new ProblemException(
        409,
        'This clientRef was already used for a different session of the patient',
      );
    }
    return { replayed: true, body: await this.render(caller, existing.id, program) };
  }

  private async render(
    caller: Caller,
    sessionId: string,
    program: ProgramState | null,
  ): Promise<SessionResultDto> {
    const org = caller.organizationId;
    const [session, reports] = await Promise.all([
      this.records.session(org, sessionId),
      this.records.reportsOfSession(org, sessionId),
    ]);
    const findings = await this.records.findingsForReports(
      org,
      reports.map((r) => r.id),
    );
    return this.toDto(session, reports, findings.map(toFindingDto), toProgramStatus(program));
  }
  private toDto(
    session: SessionLog,
    reports: PainReport[],
    findings: SessionResultDto['findings'],
    program: SessionResultDto['program'],
  ): SessionResultDto {
    const before = reports.find((r) => r.context === 'before_session');
    const after = reports.find((r) => r.context === 'after_session');
    return {
      id: session.id,
      clientRef: session.clientRef,
      performedAt: session.performedAt,
      localDate: session.localDate,
      durationMinutes: session.durationMinutes,
      items: session.items,
      programId: session.programId,
      painBefore: before ? toPainReportDto(before) : null,
      painAfter: after ? toPainReportDto(after) : null,
      findings,
      program,
      createdAt: session.createdAt,
    };
  }
}

/** Pain before is felt when the session starts; pain after, when it ends. */
function linkedReports(performedAt: Date, input: CreateSessionDto): NewPainReport[] {
  const end = new Date(performedAt.getTime() + (input.durationMinutes ?? 0) * 60_000);
  const linked = (
    pain: PainDto,
    context: 'before_session' | 'after_session',
    at: Date,
  ): NewPainReport => ({
    clientRef: null,
    requestHash: null,
    reportedAt: at,
    intensity: pain.intensity,
    mostDistalSite: pain.mostDistalSite,
    side: pain.side ?? null,
    context,
    redFlags: null,
    odi: null,
  });
  return [
    ...(input.painBefore ? [linked(input.painBefore, 'before_session', performedAt)] : []),
    ...(input.painAfter ? [linked(input.painAfter, 'after_session', end)] : []),
  ];
}
