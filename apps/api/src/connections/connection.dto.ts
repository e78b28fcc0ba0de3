import { PROVIDERS, type Provider } from '@app/providers';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export class CreateConnectionDto {
  @ApiProperty({ enum: PROVIDERS, example: 'withings' })
  @IsIn(PROVIDERS)
  provider: Provider;
}

export class ConnectionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty({ enum: PROVIDERS }) provider: Provider;
  @ApiProperty({
    enum: ['pending', 'connected', 'error', 'revoked'],
    description:
      'pending: waiting for the patient’s consent; connected: pulled every 15 minutes and on ' +
      'notifications; error: the provider refused the grant (see lastError), the patient must ' +
      'connect again; revoked: deleted',
  })
  status: 'pending' | 'connected' | 'error' | 'revoked';
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSyncAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last pull failed' })
  lastError: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) connectedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt: string | null;
}

export class CreatedConnectionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['pending'] }) status: 'pending';
  @ApiProperty({
    description:
      'Where the app sends the patient to consent (valid 10 minutes, once); the provider then ' +
      'redirects to GET /v1/oauth/{provider}/callback',
  })
  authorizeUrl: string;
}

export class ConnectionListDto {
  @ApiProperty({ type: [ConnectionDto] }) data: ConnectionDto[];
}

export class OAuthCallbackQueryDto {
  @ApiProperty({ required: false })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  code?: string;

  @ApiProperty() @IsString() @MaxLength(512) state: string;
  @ApiProperty({ required: false, description: 'Set by the provider when consent was refused' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  error?: string;
}

export class OAuthCallbackResultDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['connected'] }) status: 'connected';
}
