import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@app/domain';
import type { DeliveryStatus } from '@app/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { PageQueryDto } from '../common/pagination';

export const MAX_URL_LENGTH = 2048;
export const MAX_ENDPOINTS_PER_ORGANIZATION = 20;
/** How long the old secret keeps signing after a rotation, unless the request says otherwise. */
export const DEFAULT_PREVIOUS_SECRET_SECONDS = 24 * 3600;
const MAX_PREVIOUS_SECRET_SECONDS = 7 * 24 * 3600;
const DELIVERY_STATUSES: DeliveryStatus[] = ['pending', 'delivered', 'dead'];

export class CreateWebhookEndpointDto {
  @ApiProperty({
    example: 'https://clinic.example/hooks/sciatrack',
    maxLength: MAX_URL_LENGTH,
    description:
      'http(s) URL (https only in production); loopback and private addresses are refused unless WEBHOOK_ALLOW_PRIVATE_URLS is on',
  })
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['alert.created'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events: WebhookEventType[];

  @ApiPropertyOptional({
    format: 'uuid',
    description: "Only this clinician's patients; the whole organization when absent",
  })
  @IsOptional()
  @IsUUID()
  clinicianId?: string;
}

export class RotateSecretDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_PREVIOUS_SECRET_SECONDS,
    default: DEFAULT_PREVIOUS_SECRET_SECONDS,
    description: 'How long deliveries stay signed with the old secret too (0: not at all)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PREVIOUS_SECRET_SECONDS)
  previousSecretValidSeconds?: number;
}

export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() url: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true }) events: WebhookEventType[];
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) clinicianId: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ nullable: true, type: String }) disabledReason: string | null;
  @ApiProperty({ type: Date, nullable: true }) disabledAt: Date | null;
  @ApiProperty({
    type: Date,
    nullable: true,
    description: 'Until when the previous secret still signs too',
  })
  previousSecretExpiresAt: Date | null;
  @ApiProperty() createdAt: Date;
}

export class WebhookEndpointWithSecretDto extends WebhookEndpointDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The signing secret; shown once, on creation and rotation',
  })
  secret: string;
}

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, description: 'dead: the dead letter' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  endpointId?: string;
}

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) endpointId: string;
  @ApiProperty({ format: 'uuid', description: 'Sent as webhook-id, the same on every attempt' })
  eventId: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) eventType: WebhookEventType;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: DeliveryStatus;
  @ApiProperty({ type: 'integer' }) attempts: number;
  @ApiProperty() nextAttemptAt: Date;
  @ApiProperty({ type: Date, nullable: true }) lastAttemptAt: Date | null;
  @ApiProperty({ type: 'integer', nullable: true }) lastStatusCode: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ type: Date, nullable: true }) deliveredAt: Date | null;
  @ApiProperty({ type: Date, nullable: true }) deadAt: Date | null;
  @ApiProperty({ type: String, nullable: true }) deadReason: string | null;
  @ApiProperty({ type: 'integer' }) replayCount: number;
  @ApiProperty() createdAt: Date;
}
