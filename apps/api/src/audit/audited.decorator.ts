import type { PatientOwnedTable } from '@app/persistence';
import { SetMetadata } from '@nestjs/common';

export const AUDIT_KEY = 'sciatrack:audit';

export interface AuditSpec {
  /** What was done, as `<resource>.<verb>`: `patient.read`, `enrollment.create`. */
  action: string;
  /**
   * Where the patient id comes from: a route parameter, the patient of a program named by a
   * route parameter, the handler's result (a created patient), what the handler found and
   * attached to the request (`req.auditPatientId`: a FHIR read learns its patient from the
   * row), or nowhere (lists).
   */
  patient:
    | { param: string }
    | { lookup: PatientOwnedTable; param: string }
    | { result: 'id' }
    | 'attached'
    | 'none';
  /**
   * `handler`: the handler writes the row of its success itself, in the transaction of what it
   * records (an erasure, whose record must commit with it); the interceptor writes the rows of
   * failures only.
   */
  success?: 'handler';
}

declare module 'http' {
  interface IncomingMessage {
    /** The patient an `attached` audited route found (null: none, or many). */
    auditPatientId?: string | null;
    /** Its organization, for a route without a key (an OAuth callback). */
    auditOrganizationId?: string | null;
  }
}

/** Marks a route that reads or writes patient data: every call lands in the audit log. */
export const Audited = (
  action: string,
  patient: AuditSpec['patient'] = { param: 'id' },
  options: Pick<AuditSpec, 'success'> = {},
): MethodDecorator => SetMetadata(AUDIT_KEY, { action, patient, ...options } satisfies AuditSpec);
