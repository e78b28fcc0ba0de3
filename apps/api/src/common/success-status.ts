import { ExecutionContext, HttpStatus, RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import type { Reflector } from '@nestjs/core';

/** The status a handler answers with when it succeeds (its @HttpCode, else 201 for POST, else 200). */
export function successStatus(reflector: Reflector, ctx: ExecutionContext): number {
  const declared = reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler());
  if (declared) return declared;
  const method = reflector.get<RequestMethod | undefined>(METHOD_METADATA, ctx.getHandler());
  return method === RequestMethod.POST ? HttpStatus.CREATED : HttpStatus.OK;
}
