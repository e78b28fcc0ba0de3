import { Module } from '@nestjs/common';
import { PatientsModule } from '../patients/patients.module';
import { RtmController } from './rtm.controller';
import { RtmService } from './rtm.service';

@Module({
  imports: [PatientsModule],
  controllers: [RtmController],
  providers: [RtmService],
})
export class RtmModule {}
