import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InvalidCursorError, isUniqueViolation } from '@app/persistence';
import { FHIR_JSON, FHIR_PATH, problemAsOperationOutcome } from '../fhir/operation-outcome';
import { requestIdOf } from './logging';
import { ProblemDto, ProblemException, titleFor, typeFor } from './problem';

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/** Turns every error into application/problem+json; a stack trace never reaches a client. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const problem = this.toProblem(exception, req);
    if (problem.status >= 500) this.logServerError(exception);
    if (res.headersSent) return;
    if (exception instanceof ProblemException && exception.extra.retryAfterSeconds !== undefined) {
      res.setHeader('Retry-After', String(exception.extra.retryAfterSeconds));
    }
    if (FHIR_PATH.test(req.path)) {
      // The FHIR face answers errors as FHIR does: an OperationOutcome.
      res.status(problem.status).setHeader('Content-Type', FHIR_JSON);
      res.send(JSON.stringify(problemAsOperationOutcome(problem)));
      return;
    }
    res.status(problem.status).setHeader('Content-Type', 'application/problem+json; charset=utf-8');
    res.send(JSON.stringify(problem));
  }

  private toProblem(exception: unknown, req: Request): ProblemDto {
    const base = {
      instance: req.originalUrl?.split('?')[0],
      requestId: requestIdOf(req),
    };
    if (exception instanceof ProblemException) {
      const status = exception.getStatus();
      return {
        type: exception.extra.type ?? typeFor(status),
        title: exception.extra.title ?? titleFor(status),
        status,
        detail: exception.detail,
        ...base,
        ...(exception.extra.errors ? { errors: exception.extra.errors } : {}),
      };
    }
    if (exception instanceof InvalidCursorError) {
      // A cursor is opaque: one the API did not return is a bad request, not a field to fix.
      return {
        type: typeFor(400),
        title: titleFor(400),
        status: 400,
        detail: 'The cursor is not one this API returned',
        ...base,
        errors: [{ field: 'cursor', message: 'is not a cursor this API returned' }],
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return {
        type: typeFor(status),
        title: titleFor(status),
        status,
        detail: this.httpDetail(exception, req),
        ...base,
      };
    }
    if (isUniqueViolation(exception)) {
      return {
        type: typeFor(409),
        title: titleFor(409),
        status: 409,
        detail: 'A record with the same unique fields already exists',
        ...base,
      };
    }
    const httpLike = exception as HttpLikeError | null;
    const status = httpLike?.status ?? httpLike?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return {
        type: typeFor(status),
        title: titleFor(status),
        status,
        detail: this.bodyParserDetail(httpLike, status),
        ...base,
      };
    }
    return {
      type: typeFor(500),
      title: titleFor(500),
      status: 500,
      detail: 'The server could not complete the request',
      ...base,
    };
  }

  private httpDetail(exception: HttpException, req: Request): string {
    const status = exception.getStatus();
    if (status === 404 && exception.message.startsWith('Cannot ')) {
      return `No route ${req.method} ${req.path}`;
    }
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const message: unknown = response.message;
      if (Array.isArray(message)) return message.join('; ');
      if (typeof message === 'string') return message;
    }
    return exception.message;
  }

  private bodyParserDetail(err: HttpLikeError | null, status: number): string {
    const type: string = err?.type ?? '';
    switch (type) {
      case 'entity.too.large':
        return 'The request body is larger than this endpoint accepts';
      case 'entity.parse.failed':
        return 'The request body is not valid JSON';
      case 'request.timeout':
        return 'The request body did not arrive in time';
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return 'The request body encoding is not supported';
      default:
        return titleFor(status);
    }
  }

  // Only the error's class, code and frames: driver messages can quote row values.
  private logServerError(exception: unknown): void {
    if (exception instanceof Error) {
      const frames = (exception.stack ?? '').split('\n').slice(1, 8).join('\n');
      const code = (exception as { code?: string }).code;
      this.logger.error({ errorClass: exception.constructor.name, code, frames }, 'request failed');
    } else {
      this.logger.error({ errorClass: typeof exception }, 'request failed');
    }
  }
}
