import type { AppConfig } from '@app/config';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Structured JSON logs, one line per request: request id, method, route template, status and
 * time. No URL (it holds ids), no query, no headers, no body: nothing about a patient.
 */
export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.LOG_LEVEL,
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const incoming = req.headers['x-request-id'];
        const id =
          typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      serializers: {
        req: (req: { id: unknown; method: string }) => ({ id: req.id, method: req.method }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      // The route is known only once routing is done, so it joins the completion line here.
      customSuccessObject: (req: IncomingMessage, _res: ServerResponse, value: object) => ({
        ...value,
        route: req.routeTemplate ?? 'unmatched',
      }),
      customErrorObject: (
        req: IncomingMessage,
        _res: ServerResponse,
        _err: Error,
        value: object,
      ) => ({
        ...value,
        route: req.routeTemplate ?? 'unmatched',
      }),
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    },
  };
}

/** The request id pino-http assigned (or echoed), as text. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : undefined;
}
