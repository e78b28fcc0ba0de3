import { JobQueueService } from '@app/queue';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OperationsRepository } from '@app/persistence';
import { Public } from '../auth/access.decorator';
import { ApiProblem } from '../common/openapi';
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
  @ApiOkResponse({
    description: 'The process is up',
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
      example: { status: 'ok' },
    },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({
    description: 'PostgreSQL and Redis answer',
    schema: {
      type: 'object',
      required: ['status', 'checks'],
      properties: {
        status: { type: 'string', enum: ['ready'] },
        checks: {
          type: 'object',
          additionalProperties: { type: 'string', enum: ['up', 'down'] },
          description: 'Each dependency: postgres, redis',
        },
      },
      example: { status: 'ready', checks: { postgres: 'up', redis: 'up' } },
    },
  })
  @ApiProblem(503, 'A dependency does not answer: the detail names which')
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
