import {
  ACTIONS,
  type Action,
  INSTRUMENTS,
  type Instrument,
  type RuleId,
  type Severity,
} from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional } from 'class-validator';
import { PageQueryDto } from '../common/pagination';
import { IsInstantWithOffset } from '../common/validators';

export class CreateQuestionnaireDto {
  @ApiProperty({ enum: INSTRUMENTS })
  @IsIn(INSTRUMENTS)
  instrument: Instrument;

  @ApiProperty({
    example: '2026-11-22T08:30:00+01:00',
    description: 'When the patient completed it, with its offset',
  })
  @IsInstantWithOffset()
  completedAt: string;

  @ApiProperty({
    description:
      'The answers, by instrument. `startback`: `{ "agree": [8 booleans, items 1–8], ' +
      '"bothersomeness": "not_at_all"|"slightly"|"moderately"|"very_much"|"extremely" }`. ' +
      '`psfs`: `{ "activities": [1–5 of { "name", "score": 0–10 }] }`, names distinct. ' +
      '`odi`: `{ "sections": [10 of 0–5, or null where left blank] }`. Only the answers are ' +
      'stored, never the items’ texts.',
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  answers: Record<string, unknown>;
}

export class QuestionnaireQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: INSTRUMENTS })
  @IsOptional()
  @IsIn(INSTRUMENTS)
  instrument?: Instrument;
}

export class QuestionnaireDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty({ enum: INSTRUMENTS }) instrument: Instrument;
  @ApiProperty() completedAt: Date;
  @ApiProperty({ format: 'date', description: 'The patient’s local day' }) localDate: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'As scored' })
  answers: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      '`startback`: `{ "total": 0–9, "psychosocial": 0–5, "stratum": "low"|"medium"|"high" }`; ' +
      '`psfs`: `{ "mean" }` (0–10, higher is better); `odi`: `{ "score", "answered" }` ' +
      '(0–100 %, lower is better; the sections answered)',
  })
  score: Record<string, unknown>;
  @ApiProperty() createdAt: Date;
}

export class OutcomeChangeDto {
  @ApiProperty({ format: 'uuid', description: 'The first questionnaire of the instrument' })
  firstId: string;
  @ApiProperty() firstCompletedAt: Date;
  @ApiProperty({
    description:
      'PSFS: the change of the mean (higher is better); ODI: of the score (lower is better)',
  })
  difference: number;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description:
      'The meaningful changes (`direction`: improved|worsened; `by`: mean|activity|score; the ' +
      'PSFS activities that moved 3 points or more); empty when within the noise',
  })
  meaningful: Record<string, unknown>[];
}

export class OutcomeFindingDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({
    enum: ['FUNCTION_IMPROVED', 'FUNCTION_WORSENED', 'DISABILITY_IMPROVED', 'DISABILITY_WORSENED'],
  })
  rule: RuleId;
  @ApiProperty({ enum: ['positive', 'info', 'warning'] }) severity: Severity;
  @ApiProperty({ enum: ACTIONS }) action: Action;
  @ApiProperty({ description: 'A sentence the app can show the patient' }) message: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The questionnaires and values compared',
  })
  evidence: Record<string, unknown>;
}

export class QuestionnaireResultDto extends QuestionnaireDto {
  @ApiProperty({
    type: [OutcomeFindingDto],
    description:
      'What the outcome rules concluded from the change (a warning opens or joins an alert)',
  })
  findings: OutcomeFindingDto[];

  @ApiProperty({
    type: OutcomeChangeDto,
    nullable: true,
    description:
      'Against the patient’s first of the instrument (PSFS, ODI); null for the first, and for STarT Back',
  })
  change: OutcomeChangeDto | null;
}
