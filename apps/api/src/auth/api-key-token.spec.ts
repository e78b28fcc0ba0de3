import { issueToken, parseToken, secretsEqual, tokenMatches } from './api-key-token';

describe('API key tokens', () => {
  it('issues prefixed tokens whose secret matches only its own hash', () => {
    const a = issueToken();
    const b = issueToken();
    expect(a.token).toMatch(/^sct_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(a.token.startsWith(`${a.prefix}_`)).toBe(true);
    expect(parseToken(a.token)).toEqual({ prefix: a.prefix });
    expect(tokenMatches(a.token, a.secretHash)).toBe(true);
    expect(tokenMatches(b.token, a.secretHash)).toBe(false);
    expect(a.prefix).not.toEqual(b.prefix);
  });

  it('rejects malformed tokens', () => {
    expect(parseToken('sct_short_x')).toBeNull();
    expect(parseToken('Bearer sct_abc')).toBeNull();
    expect(parseToken('')).toBeNull();
  });

  it('compares operator secrets of different lengths without throwing', () => {
    expect(secretsEqual('a', 'a-much-longer-secret')).toBe(false);
    expect(secretsEqual('same-secret', 'same-secret')).toBe(true);
  });
});
