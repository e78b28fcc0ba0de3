import type { Role, Scope } from '@app/domain';
import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';

export const ACCESS_KEY = 'sciatrack:access';

export type AccessRule =
  | { kind: 'public' }
  | { kind: 'operator' }
  | { kind: 'any-key' }
  | { kind: 'key'; roles: readonly Role[]; scope: Scope };

/** Routes anyone may call: health, metrics. */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_KEY, { kind: 'public' } satisfies AccessRule);

/** Routes for the platform operator's token (ADMIN_TOKEN), not an organization's key. */
export const OperatorOnly = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, { kind: 'operator' } satisfies AccessRule),
    ApiBearerAuth('operator'),
  );

/** Reference data any valid key may read (the exercise catalog). */
export const AnyKey = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, { kind: 'any-key' } satisfies AccessRule),
    ApiBearerAuth('apiKey'),
  );

/** The roles that may call a route and the scope their key must hold. */
export const Access = (roles: readonly Role[], scope: Scope): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, { kind: 'key', roles, scope } satisfies AccessRule),
    ApiBearerAuth('apiKey'),
  );
