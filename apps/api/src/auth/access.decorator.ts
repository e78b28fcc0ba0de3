import type { Role, Scope } from '@app/domain';
import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiProblem, ApiProblems } from '../common/openapi';

export const ACCESS_KEY = 'sciatrack:access';

export type AccessRule =
  | { kind: 'public' }
  | { kind: 'operator' }
  | { kind: 'any-key' }
  | { kind: 'key'; roles: readonly Role[]; scope: Scope };

// Each rule declares in the OpenAPI document the answers the guard gives for it: 401 without a
// valid credential, 403 for a key of another role or without the scope.

/** Routes anyone may call: health, metrics. */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_KEY, { kind: 'public' } satisfies AccessRule);

/** Routes for the platform operator's token (ADMIN_TOKEN), not an organization's key. */
export const OperatorOnly = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, { kind: 'operator' } satisfies AccessRule),
    ApiBearerAuth('operator'),
    ApiProblem(401, 'The operator token is missing or wrong'),
  );

/** Reference data any valid key may read (the exercise catalog). */
export const AnyKey = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, { kind: 'any-key' } satisfies AccessRule),
    ApiBearerAuth('apiKey'),
    ApiProblems(401),
  );

/** The roles that may call a route and the scope their key must hold. */
export const Access = (roles: readonly Role[], scope: Scope): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, { kind: 'key', roles, scope } satisfies AccessRule),
    ApiBearerAuth('apiKey'),
    ApiProblems(401, 403),
  );
