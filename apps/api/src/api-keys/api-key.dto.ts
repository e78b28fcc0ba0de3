import { ROLES, Role, SCOPES, Scope } from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'Physio app production key', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({ format: 'uuid', description: 'Required for role clinician' })
  @IsOptional()
  @IsUUID()
  clinicianId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Required for role app' })
  @IsOptional()
  @IsUUID()
  clientAppId?: string;

  @ApiPropertyOptional({
    enum: SCOPES,
    isArray: true,
    description: 'Narrow the key to these scopes; all scopes of the role by default',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true })
  scopes?: Scope[];
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes: Scope[];
  @ApiProperty({
    example: 'sct_a1B2c3D4e5F6',
    description: 'Public part of the key, to recognise it',
  })
  prefix: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) clinicianId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) clientAppId: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ nullable: true, type: Date }) lastUsedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) revokedAt: Date | null;
}

export class IssuedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The secret key. Shown once: only its hash is stored.' })
  key: string;
}
