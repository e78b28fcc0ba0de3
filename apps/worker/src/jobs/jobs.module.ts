import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobRunnerService } from './job-runner.service';

@Module({ imports: [DiscoveryModule], providers: [JobRunnerService], exports: [JobRunnerService] })
export class JobsModule {}
