import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';

declare module 'http' {
  interface IncomingMessage {
    // `/v1/patients/:id`: what logs and metrics name a request by, instead of its URL.
    routeTemplate?: string;
  }
}

/** Runs first for every routed request and records its route template; never refuses. */
@Injectable()
export class RouteTemplateGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    const base = this.reflector.get<string | undefined>(PATH_METADATA, ctx.getClass()) ?? '';
    const path = this.reflector.get<string | undefined>(PATH_METADATA, ctx.getHandler()) ?? '';
    const template = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(
      /\/+/g,
      '/',
    );
    ctx.switchToHttp().getRequest<Request>().routeTemplate = template;
    return true;
  }
}
