import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

export class CreateClinicianDto {
  @ApiProperty({ example: 'Dr. Ana Ruiz', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ example: 'ana.ruiz@clinic.example', maxLength: 320 })
  @IsEmail()
  @MaxLength(320)
  email: string;
}

export class ClinicianDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() email: string;
  @ApiProperty() createdAt: Date;
}
