/** Who holds an API key. */
export const ROLES = ['admin', 'clinician', 'app', 'dashboard'] as const;
export type Role = (typeof ROLES)[number];

/** What a key may do, within what its role allows. */
export const SCOPES = [
  'org:manage',
  'patients:read',
  'patients:write',
  'programs:read',
  'programs:write',
  'records:read',
  'records:write',
  'outcomes:write',
  'activity:write',
  'alerts:read',
  'alerts:write',
  'care:read',
  'care:write',
  'aggregates:read',
] as const;
export type Scope = (typeof SCOPES)[number];

/** The most each role may hold; a key gets all of them unless it is created with fewer. */
export const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  admin: SCOPES,
  clinician: [
    'patients:read',
    'programs:read',
    'programs:write',
    'records:read',
    'outcomes:write',
    'alerts:read',
    'alerts:write',
    'care:read',
    'care:write',
  ],
  app: [
    'patients:read',
    'programs:read',
    'records:read',
    'records:write',
    'outcomes:write',
    'activity:write',
  ],
  dashboard: ['aggregates:read'],
};

/** The scopes a requested list grants, or the ones the role cannot hold. */
export function resolveScopes(
  role: Role,
  requested: readonly Scope[] | undefined,
): { scopes: Scope[]; refused: Scope[] } {
  const allowed = ROLE_SCOPES[role];
  if (!requested) return { scopes: [...allowed], refused: [] };
  const unique = [...new Set(requested)];
  return {
    scopes: unique.filter((s) => allowed.includes(s)),
    refused: unique.filter((s) => !allowed.includes(s)),
  };
}
