import { Module } from '@nestjs/common';
import { ExercisesModule } from '../exercises/exercises.module';
import { FindingsModule } from '../findings/findings.module';
import { PainReportsModule } from '../pain-reports/pain-reports.module';
import { PatientsModule } from '../patients/patients.module';
import { ProgramsModule } from '../programs/programs.module';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

@Module({
  imports: [ExercisesModule, FindingsModule, PainReportsModule, PatientsModule, ProgramsModule],
  controllers: [SessionsController],
  providers: [SessionsService],
})
export class SessionsModule {}
