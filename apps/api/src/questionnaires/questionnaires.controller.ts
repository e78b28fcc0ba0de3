import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Access } from '../auth/access.decorator';
import type { Caller } from '../auth/caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ParseIdPipe } from '../common/id.pipe';
import { ApiPage } from '../common/openapi';
import { type Page } from '../common/pagination';
import {
  CreateQuestionnaireDto,
  QuestionnaireDto,
  QuestionnaireQueryDto,
  QuestionnaireResultDto,
} from './questionnaire.dto';
import { QuestionnairesService } from './questionnaires.service';

@ApiTags('Outcomes')
@Controller('v1/patients/:id/questionnaires')
export class QuestionnairesController {
  constructor(private readonly questionnaires: QuestionnairesService) {}

  @Post()
  @Access(['admin', 'clinician', 'app'], 'outcomes:write')
  @Audited('questionnaire.create')
  @ApiOperation({
    summary: 'Record a STarT Back, PSFS or ODI questionnaire; answers with its score',
  })
  @ApiCreatedResponse({
    type: QuestionnaireResultDto,
    description: 'Recorded, with its score and what the outcome rules concluded',
  })
  create(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Body() body: CreateQuestionnaireDto,
  ): Promise<QuestionnaireResultDto> {
    return this.questionnaires.create(caller, patientId, body);
  }

  @Get()
  @Access(['admin', 'clinician', 'app'], 'records:read')
  @Audited('questionnaire.list')
  @ApiOperation({ summary: 'A patient’s questionnaires, in the order they were recorded' })
  @ApiPage(QuestionnaireDto, 'The questionnaires, in the order they were recorded')
  list(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseIdPipe('patient')) patientId: string,
    @Query() query: QuestionnaireQueryDto,
  ): Promise<Page<QuestionnaireDto>> {
    return this.questionnaires.list(caller, patientId, query);
  }
}
