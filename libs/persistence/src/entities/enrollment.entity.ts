import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The patient's consent that a client app may write and read on their behalf. */
@Entity('enrollments')
export class Enrollment {
  @PrimaryColumn('uuid')
  organizationId: string;

  @PrimaryColumn('uuid')
  patientId: string;

  @PrimaryColumn('uuid')
  clientAppId: string;

  @Column('timestamptz', { default: () => 'now()' })
  consentedAt: Date;

  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;
}
