import { findingMessage } from '@app/domain';
import type { PainReport, ProgramState, RuleFinding } from '@app/persistence';
import type { FindingDto, PainReportDto, ProgramStatusDto } from './pain-report.dto';

/** A finding as the API shows it, whatever it came from: with its patient-facing message. */
export function findingView(
  f: Pick<RuleFinding, 'id' | 'rule' | 'severity' | 'action' | 'evidence'>,
): Omit<FindingDto, 'painReportId'> {
  return {
    id: f.id,
    rule: f.rule,
    severity: f.severity,
    action: f.action,
    message: findingMessage(f),
    evidence: f.evidence,
  };
}

export function toFindingDto(f: RuleFinding): FindingDto {
  // The findings of pain reports and sessions: always from a pain report.
  return { ...findingView(f), painReportId: f.painReportId! };
}

export function toPainReportDto(r: PainReport): PainReportDto {
  return {
    id: r.id,
    clientRef: r.clientRef,
    sessionId: r.sessionId,
    reportedAt: r.reportedAt,
    localDate: r.localDate,
    intensity: r.intensity,
    mostDistalSite: r.mostDistalSite,
    side: r.side,
    context: r.context,
    redFlags: r.redFlags,
    odi: r.odi,
    createdAt: r.createdAt,
  };
}

export function toProgramStatus(
  p: Pick<ProgramState, 'id' | 'status' | 'statusReason'> | null,
): ProgramStatusDto | null {
  return p ? { id: p.id, status: p.status, statusReason: p.statusReason } : null;
}
