import { Clock } from '@app/config';
import { AdherenceRepository, OrganizationsRepository } from '@app/persistence';
import { fullPeriodName, JobQueueService, periodJob } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { ProblemException } from '../common/problem';
import type { AdherenceRecomputeQueuedDto } from './adherence-recompute.dto';

/**
 * The operator's forced recompute: a full period of the current hour, for every patient or one
 * organization's, planned and computed by the worker like a scheduled one (docs/adherence.md,
 * "Force a recompute").
 */
@Injectable()
export class AdherenceRecomputeService {
  constructor(
    private readonly clock: Clock,
    private readonly organizations: OrganizationsRepository,
    private readonly adherence: AdherenceRepository,
    private readonly jobs: JobQueueService,
  ) {}

  async queue(organizationId: string | null): Promise<AdherenceRecomputeQueuedDto> {
    if (organizationId !== null && !(await this.organizations.exists(organizationId))) {
      throw new ProblemException(404, 'No such organization');
    }
    const now = this.clock.now();
    // The current hour, never the next: a period of an hour to come counts days not yet lived
    // as missed, and one of an hour gone by would move patients' weeks back.
    const period = fullPeriodName(now, organizationId);
    // A completed plan is dropped so that the job plans the period anew; a running one goes on.
    const previousRun = await this.adherence.forgetCompletedPeriod(period);
    // BullMQ keeps a finished job's id for an hour (a failed one's for 7 days) and drops a new
    // job with that id: each request gets an id of its own. Two jobs of one period plan it once.
    const job = periodJob(period, `-requested-${now.getTime()}`);
    try {
      await this.jobs.add('adherence.period', job.payload, { ...job.options, jobId: job.jobId });
    } catch {
      throw new ProblemException(503, 'Cannot reach Redis to queue the recompute; try again');
    }
    return { period, organizationId, jobId: job.jobId, previousRun };
  }
}
