import type { AppConfig } from '@app/config';
import type { NextFunction, Request, Response } from 'express';
import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { titleFor, typeFor } from './problem';

// Activity imports read their own body: exports stream into storage, never parsed whole here.
const IMPORT_UPLOAD = /^\/v1\/patients\/[^/?]+\/activity-imports\/?(\?|$)/;

export function isImportUpload(req: IncomingMessage): boolean {
  return req.method === 'POST' && IMPORT_UPLOAD.test(req.url ?? '');
}

function hasBody(req: IncomingMessage): boolean {
  return (
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined
  );
}

/**
 * A deadline for receiving the body: HTTP_BODY_TIMEOUT_MS for JSON, IMPORT_UPLOAD_TIMEOUT_MS
 * for an import. A client that sends too slowly gets 408 problem+json and the connection is
 * closed, instead of holding it for Node's 300 s. The answer is written here: the JSON parser,
 * told of an error, would first wait to read the rest of the body.
 */
export function bodyDeadline(config: AppConfig) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!hasBody(req) || req.complete) {
      next();
      return;
    }
    const ms = isImportUpload(req) ? config.IMPORT_UPLOAD_TIMEOUT_MS : config.HTTP_BODY_TIMEOUT_MS;
    const timer = setTimeout(() => {
      if (req.complete || res.headersSent) return;
      res.once('finish', () => req.socket.destroy());
      res
        .status(408)
        .set({ 'Content-Type': 'application/problem+json; charset=utf-8', Connection: 'close' })
        .send(problemJson(408, `The request body did not arrive within ${ms} ms`, req.originalUrl));
    }, ms);
    timer.unref();
    const done = () => clearTimeout(timer);
    req.once('end', done);
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}

function problemJson(status: number, detail: string, url?: string): string {
  return JSON.stringify({
    type: typeFor(status),
    title: titleFor(status),
    status,
    detail,
    ...(url ? { instance: url.split('?')[0] } : {}),
  });
}

/** A problem+json answer written straight to a socket, for errors Node raises before Express. */
function rawProblem(status: number, detail: string): string {
  const body = problemJson(status, detail);
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * The server's own limits (see README, "Limits"): how long headers may take, how long an idle
 * connection stays, a backstop for the whole request; and the answers Node gives by itself
 * (headers or URL over 16 KiB: 431; headers too slow: 408; unparseable: 400) as problem+json.
 */
export function applyServerLimits(server: Server, config: AppConfig): void {
  server.headersTimeout = config.HTTP_HEADERS_TIMEOUT_MS;
  server.keepAliveTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  // bodyDeadline answers first; this only ends a request nothing else has ended.
  server.requestTimeout =
    Math.max(config.HTTP_BODY_TIMEOUT_MS, config.IMPORT_UPLOAD_TIMEOUT_MS) + 60_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? rawProblem(431, 'The URL or the headers are larger than the 16 KiB this server reads')
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? rawProblem(408, 'The request did not arrive in time')
          : rawProblem(400, 'The request is not valid HTTP');
    socket.end(answer);
  });
}
