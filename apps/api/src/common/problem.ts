import { HttpException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export interface FieldError {
  field: string;
  message: string;
}

export class FieldErrorDto implements FieldError {
  @ApiProperty({ example: 'baselinePain.intensity', description: 'Its path in the body or query' })
  field: string;

  @ApiProperty({ example: 'must not be greater than 10' })
  message: string;
}

/** RFC 9457 problem details, as every error of the API is answered. */
export class ProblemDto {
  @ApiProperty({
    example: '/problems/validation-error',
    description: 'URI reference naming the kind of problem',
  })
  type: string;

  @ApiProperty({ example: 'Your request is not valid' })
  title: string;

  @ApiProperty({ type: 'integer', example: 422, description: 'The HTTP status' })
  status: number;

  @ApiPropertyOptional({ example: 'timezone must be an IANA time-zone name' })
  detail?: string;

  @ApiPropertyOptional({ example: '/v1/patients' })
  instance?: string;

  @ApiPropertyOptional({ description: 'Request id, also sent as the x-request-id header' })
  requestId?: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description:
      'For validation errors: each field that is wrong, by its path in the body or query',
    example: [{ field: 'baselinePain.intensity', message: 'must not be greater than 10' }],
  })
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Authentication required',
  403: 'Not allowed',
  404: 'Not found',
  405: 'Method not allowed',
  408: 'Request timeout',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  431: 'Request header fields too large',
  422: 'Your request is not valid',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? 'Error';
}

const SLUGS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  408: 'request-timeout',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  431: 'headers-too-large',
  422: 'validation-error',
  429: 'rate-limited',
  500: 'internal-error',
  503: 'unavailable',
};

export function typeFor(status: number): string {
  return `/problems/${SLUGS[status] ?? 'error'}`;
}

/** An HTTP error that carries its problem-details fields. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly detail: string,
    readonly extra: {
      type?: string;
      title?: string;
      errors?: FieldError[];
      /** Sent as Retry-After: when trying again may succeed. */
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(detail, status);
  }
}

export function validationProblem(errors: FieldError[], detail?: string): ProblemException {
  return new ProblemException(
    422,
    detail ?? errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    {
      errors,
    },
  );
}

export function notFound(what = 'resource'): ProblemException {
  return new ProblemException(404, `No such ${what}, or it is not visible to this key`);
}
