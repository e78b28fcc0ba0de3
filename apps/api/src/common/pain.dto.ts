import { PAIN_SIDES, PAIN_SITES, PainSide, PainSite } from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

/** A pain rating: intensity, the most distal site with pain, and the side. */
export class PainDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: 10,
    description: 'Numeric pain rating (NPRS, LOINC 72514-3)',
  })
  @IsInt()
  @Min(0)
  @Max(10)
  intensity: number;

  @ApiProperty({
    enum: PAIN_SITES,
    description: 'Most distal site with pain, from the spine outward',
  })
  @IsIn(PAIN_SITES)
  mostDistalSite: PainSite;

  @ApiPropertyOptional({ enum: PAIN_SIDES })
  @IsOptional()
  @IsIn(PAIN_SIDES)
  side?: PainSide;
}
