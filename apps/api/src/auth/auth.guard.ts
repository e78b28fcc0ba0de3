import { AppConfig } from '@app/config';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AUDIT_KEY, AuditSpec } from '../audit/audited.decorator';
import { AuditService } from '../audit/audit.service';
import { ApiKeyCache } from './api-key-cache.service';
import { ProblemException } from '../common/problem';
import { ACCESS_KEY, AccessRule } from './access.decorator';
import { hashToken, parseToken, secretsEqual } from './api-key-token';
import type { Caller } from './caller';

/**
 * Authenticates every request and checks the route's role and scope. Deny by default: a route
 * that declares no access rule answers 403.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly keys: ApiKeyCache,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    const req = ctx.switchToHttp().getRequest<Request>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const audit = this.reflector.get<AuditSpec | undefined>(AUDIT_KEY, ctx.getHandler());
    if (!rule) throw new ProblemException(403, 'This route declares no access rule');
    if (rule.kind === 'public') return true;

    const token = bearerToken(req);
    if (rule.kind === 'operator') {
      if (token && secretsEqual(token, this.config.ADMIN_TOKEN)) {
        req.operator = true;
        return true;
      }
      if (audit) await this.audit.record(audit, req, { outcome: 'unauthenticated', status: 401 });
      throw this.unauthenticated(res, 'The operator token is missing or wrong');
    }

    const parsed = token ? parseToken(token) : null;
    // Found only when the secret matches too (from memory, or with its last use stamped).
    const key = parsed ? await this.keys.authenticate(parsed.prefix, hashToken(token!)) : null;
    if (!token || !key || key.revokedAt) {
      if (audit) {
        await this.audit.record(audit, req, {
          outcome: 'unauthenticated',
          status: 401,
          apiKeyId: key?.id ?? null,
          organizationId: key?.organizationId ?? null,
        });
      }
      throw this.unauthenticated(
        res,
        token ? 'The API key is not valid or has been revoked' : 'An API key is required',
      );
    }

    const caller: Caller = {
      keyId: key.id,
      organizationId: key.organizationId,
      role: key.role,
      scopes: key.scopes,
      clinicianId: key.clinicianId,
      clientAppId: key.clientAppId,
    };
    req.caller = caller;

    if (rule.kind === 'any-key') return true;
    if (!rule.roles.includes(caller.role) || !caller.scopes.includes(rule.scope)) {
      if (audit) await this.audit.record(audit, req, { outcome: 'forbidden', status: 403 });
      throw new ProblemException(
        403,
        `A ${caller.role} key with scope ${rule.scope} cannot use this route`,
      );
    }
    return true;
  }

  private unauthenticated(res: Response, detail: string): ProblemException {
    res.setHeader('WWW-Authenticate', 'Bearer realm="sciatrack"');
    return new ProblemException(401, detail);
  }
}

function bearerToken(req: Request): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
