import { Foundation1763776800000 } from './1763776800000-Foundation';
import { ProgramsAndRecords1763780400000 } from './1763780400000-ProgramsAndRecords';
import { ActivityImports1763784000000 } from './1763784000000-ActivityImports';
import { ActivityIngestTuning1763787600000 } from './1763787600000-ActivityIngestTuning';
import { Adherence1763791200000 } from './1763791200000-Adherence';
import { Alerts1763794800000 } from './1763794800000-Alerts';
import { ActivityMarkedAt1763798400000 } from './1763798400000-ActivityMarkedAt';
import { OutboxFannedOut1763802000000 } from './1763802000000-OutboxFannedOut';
import { WebhookEndpointLeases1763805600000 } from './1763805600000-WebhookEndpointLeases';
import { ProgramHolds1763809200000 } from './1763809200000-ProgramHolds';
import { DashboardReads1763812800000 } from './1763812800000-DashboardReads';
import { SampleRecords1763816400000 } from './1763816400000-SampleRecords';
import { ApiKeyChanges1763820000000 } from './1763820000000-ApiKeyChanges';
import { RecordsVersion1763823600000 } from './1763823600000-RecordsVersion';
import { Questionnaires1763827200000 } from './1763827200000-Questionnaires';
import { QuestionnaireFindings1763830800000 } from './1763830800000-QuestionnaireFindings';
import { RemoteMonitoring1763838000000 } from './1763838000000-RemoteMonitoring';
import { FhirExports1763841600000 } from './1763841600000-FhirExports';
import { WearableConnections1763845200000 } from './1763845200000-WearableConnections';
import { TenantKeys1763848800000 } from './1763848800000-TenantKeys';
import { PartitionedSamples1763856000000 } from './1763856000000-PartitionedSamples';
import { OutboxTraceContext1763859600000 } from './1763859600000-OutboxTraceContext';

/** Every migration, oldest first. A spec checks that no file in this folder is left out. */
export const MIGRATIONS = [
  Foundation1763776800000,
  ProgramsAndRecords1763780400000,
  ActivityImports1763784000000,
  ActivityIngestTuning1763787600000,
  Adherence1763791200000,
  Alerts1763794800000,
  ActivityMarkedAt1763798400000,
  OutboxFannedOut1763802000000,
  WebhookEndpointLeases1763805600000,
  ProgramHolds1763809200000,
  DashboardReads1763812800000,
  SampleRecords1763816400000,
  ApiKeyChanges1763820000000,
  RecordsVersion1763823600000,
  Questionnaires1763827200000,
  QuestionnaireFindings1763830800000,
  RemoteMonitoring1763838000000,
  FhirExports1763841600000,
  WearableConnections1763845200000,
  TenantKeys1763848800000,
  PartitionedSamples1763856000000,
  OutboxTraceContext1763859600000,
];
