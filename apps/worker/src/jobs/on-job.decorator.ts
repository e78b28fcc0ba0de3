import type { JobName } from '@app/queue';
import { SetMetadata } from '@nestjs/common';

export const ON_JOB_KEY = 'sciatrack:on-job';

/** Marks the provider method that processes one job of the registry. */
export const OnJob = (name: JobName): MethodDecorator => SetMetadata(ON_JOB_KEY, name);
