import { RecordsModule } from '@app/records';
import { Module } from '@nestjs/common';
import { ExercisesModule } from '../exercises/exercises.module';
import { PatientsModule } from '../patients/patients.module';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

@Module({
  imports: [RecordsModule, ExercisesModule, PatientsModule],
  controllers: [SessionsController],
  providers: [SessionsService],
})
export class SessionsModule {}
