import { Controller, Get } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
  ApiExtraModels,
} from '@nestjs/swagger';
import { AnyKey } from '../auth/access.decorator';
import { ExerciseDto } from './exercise.dto';
import { ExercisesService } from './exercises.service';

@ApiTags('Programs')
@ApiExtraModels(ExerciseDto)
@Controller('v1/exercises')
@AnyKey()
export class ExercisesController {
  constructor(private readonly exercises: ExercisesService) {}

  @Get()
  @ApiOperation({ summary: 'The exercise catalog, in program order' })
  @ApiOkResponse({
    description: 'Every exercise a program may name',
    schema: {
      type: 'object',
      required: ['data'],
      properties: { data: { type: 'array', items: { $ref: getSchemaPath(ExerciseDto) } } },
    },
  })
  async list(): Promise<{ data: ExerciseDto[] }> {
    return { data: await this.exercises.list() };
  }
}
