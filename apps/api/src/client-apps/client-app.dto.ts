import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class CreateClientAppDto {
  @ApiProperty({ example: 'StepWise patient app', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;
}

export class ClientAppDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() createdAt: Date;
}
