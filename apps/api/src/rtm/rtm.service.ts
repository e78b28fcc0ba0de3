import {
  evaluationDay,
  parseRtmMonth,
  type RtmLedger,
  rtmClaimLines,
  rtmDataDayOf,
  rtmLedger,
} from '@app/domain';
import {
  type CareTimeEntryRow,
  Db,
  OrganizationsRepository,
  type RtmEpisodeRow,
  RtmRepository,
} from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PatientNotVisibleException } from '../audit/audit.service';
import type { Caller } from '../auth/caller';
import { assertPlausibleInstant, Clock } from '../common/clock';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { PatientAccessService } from '../patients/patient-access.service';
import type {
  CareTimeDto,
  CareTimeListDto,
  ClaimsDto,
  CreateCareTimeDto,
  CreateEpisodeDto,
  EndEpisodeDto,
  EpisodeDto,
  RtmLedgerDto,
} from './rtm.dto';

function careTimeDto(row: CareTimeEntryRow): CareTimeDto {
  return {
    id: row.id,
    patientId: row.patientId,
    clinicianId: row.clinicianId,
    startedAt: new Date(row.startedAt),
    localDate: row.localDate,
    minutes: row.minutes,
    interactive: row.interactive,
    kind: row.kind,
    note: row.note,
    createdAt: new Date(row.createdAt),
    voidedAt: row.voidedAt ? new Date(row.voidedAt) : null,
    voidReason: row.voidReason,
  };
}

function episodeDto(row: RtmEpisodeRow): EpisodeDto {
  return {
    id: row.id,
    patientId: row.patientId,
    startDate: row.startDate,
    endDate: row.endDate,
    createdAt: new Date(row.createdAt),
    endedAt: row.endedAt ? new Date(row.endedAt) : null,
  };
}

function monthOrProblem(month: string): { first: string; last: string } {
  const bounds = parseRtmMonth(month);
  if (!bounds) throw validationProblem([{ field: 'month', message: 'must be YYYY-MM, 2000–2100' }]);
  return bounds;
}

/** The ledger as the API shows it: one line per code with met, evidence and what is missing. */
function codesOf(ledger: RtmLedger): Record<string, unknown>[] {
  const codes: Record<string, unknown>[] = [];
  for (const s of ledger.setup) {
    const first = ledger.devicePeriods.find((p) => p.episodeId === s.episodeId && p.index === 0);
    codes.push({
      code: s.code,
      episodeId: s.episodeId,
      met: s.met,
      dateOfService: s.dateOfService,
      evidence: first
        ? { period: { from: first.from, to: first.to }, dataDays: first.dataDays }
        : {},
      missing: s.missing ? [s.missing] : [],
    });
  }
  for (const p of ledger.devicePeriods) {
    codes.push({
      // A period without a code yet: the code it is short of, if it can still be had.
      code: p.code ?? p.missing?.code ?? null,
      episodeId: p.episodeId,
      period: { index: p.index, from: p.from, to: p.to, closed: p.closed },
      met: p.code !== null,
      dateOfService: p.dateOfService,
      evidence: { dataDayCount: p.dataDays.length, dataDays: p.dataDays },
      // For the next code: 98977 once 98985 is met.
      missing: p.missing ? [p.missing] : [],
    });
  }
  const t = ledger.treatment;
  const evidence = {
    totalMinutes: t.totalMinutes,
    minutesByClinician: t.minutesByClinician,
    interactiveContacts: t.interactiveContacts,
  };
  for (const code of ['98979', '98980', '98981'] as const) {
    const met = t.codes.find((c) => c.code === code);
    codes.push({
      code,
      met: met !== undefined,
      units: met?.units ?? 0,
      dateOfService: met ? t.dateOfService : null,
      evidence,
      missing: t.missing.filter((m) => m.code === code),
    });
  }
  return codes;
}

/** Remote therapeutic monitoring: the care-time log, episodes, ledgers and claims (docs/rtm.md). */
@Injectable()
export class RtmService {
  constructor(
    private readonly clock: Clock,
    private readonly db: Db,
    private readonly access: PatientAccessService,
    private readonly rtm: RtmRepository,
    private readonly organizations: OrganizationsRepository,
  ) {}

  async addCareTime(
    caller: Caller,
    patientId: string,
    input: CreateCareTimeDto,
  ): Promise<CareTimeDto> {
    const startedAt = assertPlausibleInstant('startedAt', input.startedAt, this.clock.now());
    const patient = await this.access.findVisible(caller, patientId);
    let clinicianId: string;
    if (caller.role === 'clinician') {
      if (input.clinicianId !== undefined && input.clinicianId !== caller.clinicianId) {
        throw validationProblem([
          { field: 'clinicianId', message: 'a clinician key logs its own time only' },
        ]);
      }
      clinicianId = caller.clinicianId!;
    } else {
      if (input.clinicianId === undefined) {
        throw validationProblem([
          { field: 'clinicianId', message: 'is required: whose time it was' },
        ]);
      }
      if (!(await this.organizations.hasClinician(caller.organizationId, input.clinicianId))) {
        throw validationProblem([
          { field: 'clinicianId', message: 'is not a clinician of this organization' },
        ]);
      }
      clinicianId = input.clinicianId;
    }
    if (input.interactive && input.kind !== 'call' && input.kind !== 'video') {
      throw validationProblem([
        {
          field: 'interactive',
          message: 'only a call or a video is real-time interactive communication',
        },
      ]);
    }
    const row = await this.rtm.addCareTime(this.db.current, {
      id: randomUUID(),
      organizationId: patient.organizationId,
      patientId: patient.id,
      clinicianId,
      startedAt,
      timezone: patient.timezone,
      minutes: input.minutes,
      interactive: input.interactive,
      kind: input.kind,
      note: input.note ?? null,
      createdByKeyId: caller.keyId,
    });
    return careTimeDto(row);
  }

  /** Voids an entry: 404 if the caller cannot see its patient, 409 if it is voided already. */
  async voidCareTime(caller: Caller, id: string, reason: string): Promise<CareTimeDto> {
    return this.db.transaction(async (tx) => {
      const entry = await this.rtm.lockCareTime(tx, caller.organizationId, id);
      if (!entry) {
        // Same answer either way; only the audit row tells another clinic's entry from none.
        if (await this.rtm.exists('care_time_entries', id)) throw new PatientNotVisibleException();
        throw notFound('care-time entry');
      }
      await this.access.findVisible(caller, entry.patientId);
      if (entry.voidedAt !== null) {
        throw new ProblemException(409, 'This care-time entry was voided already');
      }
      return careTimeDto(
        await this.rtm.voidCareTime(tx, caller.organizationId, id, reason, caller.keyId),
      );
    });
  }

  async listCareTime(caller: Caller, patientId: string, month: string): Promise<CareTimeListDto> {
    const bounds = monthOrProblem(month);
    const patient = await this.access.findVisible(caller, patientId);
    const rows = await this.rtm.careTimeOf(
      patient.organizationId,
      patient.id,
      bounds.first,
      bounds.last,
    );
    return { month, data: rows.map(careTimeDto) };
  }

  async startEpisode(
    caller: Caller,
    patientId: string,
    input: CreateEpisodeDto,
  ): Promise<EpisodeDto> {
    return this.db.transaction(async (tx) => {
      const patient = await this.access.lockVisible(tx, caller, patientId);
      const today = evaluationDay(this.clock.now(), patient.timezone);
      if (input.startDate > today) {
        throw validationProblem([
          { field: 'startDate', message: `is after the patient's today (${today})` },
        ]);
      }
      const result = await this.rtm.startEpisode(tx, {
        id: randomUUID(),
        organizationId: patient.organizationId,
        patientId: patient.id,
        startDate: input.startDate,
        createdByKeyId: caller.keyId,
      });
      if ('conflict' in result) {
        throw new ProblemException(
          409,
          result.conflict.endDate === null
            ? `The patient has an open episode (${result.conflict.id}); end it first`
            : `Episodes may not overlap: the patient's episode ${result.conflict.id} ends on ${result.conflict.endDate}`,
        );
      }
      return episodeDto(result.created);
    });
  }

  async endEpisode(caller: Caller, id: string, input: EndEpisodeDto): Promise<EpisodeDto> {
    return this.db.transaction(async (tx) => {
      const episode = await this.rtm.lockEpisode(tx, caller.organizationId, id);
      if (!episode) {
        if (await this.rtm.exists('rtm_episodes', id)) throw new PatientNotVisibleException();
        throw notFound('episode');
      }
      const patient = await this.access.findVisible(caller, episode.patientId);
      if (episode.endDate !== null) {
        throw new ProblemException(409, `This episode ended on ${episode.endDate}`);
      }
      const today = evaluationDay(this.clock.now(), patient.timezone);
      const endDate = input.endDate ?? today;
      if (endDate > today) {
        throw validationProblem([
          { field: 'endDate', message: `is after the patient's today (${today})` },
        ]);
      }
      if (endDate < episode.startDate) {
        throw validationProblem([
          { field: 'endDate', message: `is before the episode's start (${episode.startDate})` },
        ]);
      }
      return episodeDto(
        await this.rtm.endEpisode(tx, caller.organizationId, id, endDate, caller.keyId),
      );
    });
  }

  async listEpisodes(caller: Caller, patientId: string): Promise<{ data: EpisodeDto[] }> {
    const patient = await this.access.findVisible(caller, patientId);
    return {
      data: (await this.rtm.episodesOf(patient.organizationId, patient.id)).map(episodeDto),
    };
  }

  /** One patient's ledger of a month; 422 for a month outside every episode. */
  async ledger(caller: Caller, patientId: string, month: string): Promise<RtmLedgerDto> {
    const bounds = monthOrProblem(month);
    const patient = await this.access.findVisible(caller, patientId);
    const today = evaluationDay(this.clock.now(), patient.timezone);
    if (bounds.first > today) {
      throw validationProblem([
        { field: 'month', message: `is after the patient's current month (${today.slice(0, 7)})` },
      ]);
    }
    const dataDay = rtmDataDayOf(await this.organizations.settingsOf(patient.organizationId));
    const inputs = await this.rtm.monthInputs(patient.organizationId, bounds, dataDay, patient.id);
    const episodes = inputs.episodes.get(patient.id) ?? [];
    if (episodes.length === 0) {
      throw validationProblem([
        { field: 'month', message: 'is outside every monitoring episode of the patient' },
      ]);
    }
    const ledger = rtmLedger({
      month,
      timezone: patient.timezone,
      today,
      episodes,
      dataDays: inputs.dataDays.get(patient.id) ?? [],
      careTime: inputs.careTime.get(patient.id) ?? [],
    });
    return {
      patientId: patient.id,
      month,
      dataDay,
      codes: codesOf(ledger),
      ledger: ledger as unknown as Record<string, unknown>,
    };
  }

  /** The organization's billable lines of a month (admin), one per patient and code. */
  async claims(caller: Caller, month: string): Promise<ClaimsDto> {
    const bounds = monthOrProblem(month);
    const dataDay = rtmDataDayOf(await this.organizations.settingsOf(caller.organizationId));
    const inputs = await this.rtm.monthInputs(caller.organizationId, bounds, dataDay);
    const now = this.clock.now();
    const data: ClaimsDto['data'] = [];
    for (const p of inputs.patients) {
      const ledger = rtmLedger({
        month,
        timezone: p.timezone,
        today: evaluationDay(now, p.timezone),
        episodes: inputs.episodes.get(p.patientId) ?? [],
        dataDays: inputs.dataDays.get(p.patientId) ?? [],
        careTime: inputs.careTime.get(p.patientId) ?? [],
      });
      for (const line of rtmClaimLines(ledger)) {
        data.push({
          patientId: p.patientId,
          externalRef: p.externalRef,
          ...line,
        });
      }
    }
    return { month, data };
  }
}
