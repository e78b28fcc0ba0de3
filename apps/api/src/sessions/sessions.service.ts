import { ClinicalRecordsService, markAdherenceDirty, NewPainReport } from '@app/clinical';
import { Db, PainReport, SessionLog } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { assertPlausibleInstant } from '../common/clock';
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
    private readonly db: Db,
    private readonly access: PatientAccessService,
    private readonly exercises: ExercisesService,
    private readonly clinical: ClinicalRecordsService,
  ) {}

  async create(
    caller: Caller,
    patientId: string,
    input: CreateSessionDto,
  ): Promise<WriteResult<SessionResultDto>> {
    const performedAt = assertPlausibleInstant('performedAt', input.performedAt, new Date());
    const catalog = await this.exercises.byCode(input.items.map((i) => i.exerciseCode));
    const unknown = input.items
      .map((item, i) => ({ item, i }))
      .filter(({ item }) => !catalog.has(item.exerciseCode))
      .map(({ item, i }) => ({
        field: `items[${i}].exerciseCode`,
        message: `${item.exerciseCode} is not in the exercise catalog`,
      }));
    const hash = contentHash(input);

    return this.db.transaction(async (m) => {
      const patient = await this.access.lockVisible(m, caller, patientId);
      if (unknown.length) throw validationProblem(unknown);
      const existing = await m
        .createQueryBuilder(SessionLog, 's')
        .addSelect('s.requestHash')
        .where('s.organization_id = :org AND s.patient_id = :patient AND s.client_ref = :ref', {
          org: patient.organizationId,
          patient: patient.id,
          ref: input.clientRef,
        })
        .getOne();
      if (existing) {
        if (!existing.requestHash.equals(hash)) {
          throw new ProblemException(
            409,
            'This clientRef was already used for a different session of the patient',
          );
        }
        return { replayed: true, body: await this.render(existing) };
      }

      const program = await this.clinical.currentProgram(patient.organizationId, patient.id);
      const [{ id }] = await m.query<{ id: string }[]>(
        `INSERT INTO sessions (organization_id, patient_id, program_id, client_ref, request_hash, performed_at, local_date,
           duration_minutes, items, created_by_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, ($6::timestamptz AT TIME ZONE $7)::date, $8, $9, $10)
         RETURNING id`,
        [
          patient.organizationId,
          patient.id,
          program?.id ?? null,
          input.clientRef,
          hash,
          performedAt,
          patient.timezone,
          input.durationMinutes ?? null,
          JSON.stringify(input.items),
          caller.keyId,
        ],
      );
      await markAdherenceDirty(m, patient.organizationId, patient.id);
      const session = await m.findOneByOrFail(SessionLog, { id });
      const reports = await this.clinical.insertPainReports(
        patient,
        this.linkedReports(session, input),
        caller.keyId,
      );
      const evaluated = reports.length
        ? await this.clinical.evaluate(patient, reports)
        : { findings: [], program };
      return {
        replayed: false,
        body: this.toDto(
          session,
          reports,
          evaluated.findings.map(toFindingDto),
          toProgramStatus(evaluated.program),
        ),
      };
    });
  }

  /** Pain before is felt when the session starts; pain after, when it ends. */
  private linkedReports(session: SessionLog, input: CreateSessionDto): NewPainReport[] {
    const end = new Date(session.performedAt.getTime() + (session.durationMinutes ?? 0) * 60_000);
    const linked = (
      pain: PainDto,
      context: 'before_session' | 'after_session',
      at: Date,
    ): NewPainReport => ({
      clientRef: null,
      requestHash: null,
      sessionId: session.id,
      reportedAt: at,
      intensity: pain.intensity,
      mostDistalSite: pain.mostDistalSite,
      side: pain.side ?? null,
      context,
      redFlags: null,
      odi: null,
    });
    return [
      ...(input.painBefore
        ? [linked(input.painBefore, 'before_session', session.performedAt)]
        : []),
      ...(input.painAfter ? [linked(input.painAfter, 'after_session', end)] : []),
    ];
  }

  private async render(session: SessionLog): Promise<SessionResultDto> {
    const reports = await this.db.repo(PainReport).findBy({ sessionId: session.id });
    const [findings, program] = await Promise.all([
      this.clinical.findingsForReports(reports.map((r) => r.id)),
      this.clinical.currentProgram(session.organizationId, session.patientId),
    ]);
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
