import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class CreateOrganizationDto {
  @ApiProperty({ example: 'Riverside Physiotherapy', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;
}

export class CreatedOrganizationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'The first admin key of the organization. Shown once.' })
  adminKey: string;
  @ApiProperty({ format: 'uuid' }) adminKeyId: string;
}
