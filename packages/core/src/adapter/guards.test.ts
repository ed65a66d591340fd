import { describe, expect, it } from 'vitest';
import { SessionError, ErrorCode } from '../errors.js';
import { insufficientScope, launchLocation, notAuthenticated, prefersJson } from './guards.js';

describe('guard answers (shared by every adapter)', () => {
  it('API clients get JSON; browsers a redirect', () => {
    expect(prefersJson({ accept: 'application/json', path: '/x' })).toBe(true);
    expect(prefersJson({ accept: 'text/html,*/*', path: '/x' })).toBe(false);
    expect(prefersJson({ accept: 'text/html', path: '/api/x' })).toBe(true);
    expect(prefersJson({ accept: 'text/html', requestedWith: 'XMLHttpRequest', path: '/x' })).toBe(true);
    expect(prefersJson({ path: '/x' })).toBe(true);
  });

  it('401 with a Bearer challenge; 5xx session errors keep their status', () => {
    expect(notAuthenticated()).toEqual({ status: 401, headers: { 'www-authenticate': 'Bearer', 'cache-control': 'no-store' }, body: { error: 'not_authenticated', message: 'No SMART session: launch the app first' } });
    expect(notAuthenticated(new SessionError(ErrorCode.SESSION_STORE_UNAVAILABLE, 'down', { status: 503 })).status).toBe(503);
    expect(notAuthenticated(new SessionError(ErrorCode.SESSION_EXPIRED, 'gone', { status: 401 })).body.error).toBe('session_expired');
  });

  it('403 insufficient_scope names the missing scopes (RFC 6750 3.1)', () => {
    const a = insufficientScope(['patient/Observation.rs']);
    expect(a.status).toBe(403);
    expect(a.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="patient/Observation.rs"');
    expect(a.body.missing).toEqual(['patient/Observation.rs']);
  });

  it('launch redirect keeps the return path encoded', () => {
    expect(launchLocation('/launch', '/chart?a=1&b=2')).toBe('/launch?returnTo=%2Fchart%3Fa%3D1%26b%3D2');
  });
});
