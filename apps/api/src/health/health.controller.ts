import { JobQueueService } from '@app/queue';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { OperationsRepository } from '@app/persistence';
import { Public } from '../auth/access.decorator';
import { ProblemException } from '../common/problem';

type Check = 'up' | 'down';

@ApiTags('Operations')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly operations: OperationsRepository,
    private readonly jobs: JobQueueService,
  ) {}

  @Get()
  @ApiOkResponse({ description: 'The process is up', schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({
    description: 'PostgreSQL and Redis answer',
    schema: { example: { status: 'ready', checks: { postgres: 'up', redis: 'up' } } },
  })
  @ApiServiceUnavailableResponse({ description: 'A dependency does not answer' })
  async ready(): Promise<{ status: 'ready'; checks: Record<string, Check> }> {
    const [postgres, redis] = await Promise.all([
      this.postgres(),
      this.jobs.ping().then((ok): Check => (ok ? 'up' : 'down')),
    ]);
    if (postgres === 'down' || redis === 'down') {
      throw new ProblemException(503, `Not ready: postgres ${postgres}, redis ${redis}`);
    }
    return { status: 'ready', checks: { postgres, redis } };
  }

  private async postgres(): Promise<Check> {
    return (await this.operations.ping()) ? 'up' : 'down';
  }
}
