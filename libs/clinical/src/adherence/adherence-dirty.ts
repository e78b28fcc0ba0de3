import type { EntityManager } from 'typeorm';

/**
 * Marks a patient's adherence out of date, in the transaction of the write that changed it
 * (a session, a pain report, an import): the worker recomputes the patient within seconds,
 * so flags such as REST_GAP_EXCEEDED follow the records without waiting for the night.
 */
export async function markAdherenceDirty(
  m: EntityManager,
  organizationId: string,
  patientId: string,
): Promise<void> {
  await m.query(`INSERT INTO adherence_dirty (organization_id, patient_id) VALUES ($1, $2)`, [
    organizationId,
    patientId,
  ]);
}
