import { Module } from '@nestjs/common';
import { ExercisesModule } from '../exercises/exercises.module';
import { PatientsModule } from '../patients/patients.module';
import { ProgramsController } from './programs.controller';
import { ProgramsService } from './programs.service';

@Module({
  imports: [ExercisesModule, PatientsModule],
  controllers: [ProgramsController],
  providers: [ProgramsService],
  exports: [ProgramsService],
})
export class ProgramsModule {}
