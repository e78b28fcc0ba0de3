import { resolveScopes, ROLE_SCOPES } from './access';

describe('resolveScopes', () => {
  it('grants every scope of the role when none are requested', () => {
    expect(resolveScopes('app', undefined).scopes).toEqual([...ROLE_SCOPES.app]);
  });

  it('narrows to the requested scopes the role may hold', () => {
    expect(resolveScopes('app', ['records:write', 'records:write'])).toEqual({
      scopes: ['records:write'],
      refused: [],
    });
  });

  it('refuses scopes beyond the role', () => {
    expect(resolveScopes('dashboard', ['patients:read', 'aggregates:read'])).toEqual({
      scopes: ['aggregates:read'],
      refused: ['patients:read'],
    });
  });

  it('never lets a dashboard key read patient detail', () => {
    expect(ROLE_SCOPES.dashboard).not.toContain('patients:read');
  });
});
