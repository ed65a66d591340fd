import { describe, expect, it } from 'vitest';
import { applySetCookie, parseSetCookie } from '../cookies.js';

describe('Set-Cookie translation', () => {
  it('parses core cookies into cookies().set() options', () => {
    expect(parseSetCookie('smart_session=abc.def; Path=/; Max-Age=28800; HttpOnly; Secure; SameSite=Lax')).toEqual({
      name: 'smart_session',
      value: 'abc.def',
      options: { path: '/', maxAge: 28800, httpOnly: true, secure: true, sameSite: 'lax' },
    });
    const cleared = parseSetCookie('smart_session.1=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=None; Secure; Partitioned');
    expect(cleared.options).toMatchObject({ maxAge: 0, sameSite: 'none', partitioned: true, expires: new Date(0) });
    // A cookie without HttpOnly stays readable: the flag is never added by the translation.
    expect(parseSetCookie('x=1; Path=/').options.httpOnly).toBe(false);
  });

  it('rewrites the request Cookie header: sets, replaces, deletes chunks, keeps the rest', () => {
    const header = 'theme=dark; smart_session=old; smart_session.1=oldtail';
    const next = applySetCookie(header, [
      'smart_session=new; Path=/; Max-Age=28800; HttpOnly; SameSite=Lax',
      'smart_session.1=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
    ]);
    expect(next).toBe('theme=dark; smart_session=new');
    expect(applySetCookie(null, ['smart_session=v; Path=/'])).toBe('smart_session=v');
    expect(applySetCookie('smart_session=v', ['smart_session=; Path=/; Max-Age=0'])).toBe('');
  });

  it('ignores cookies scoped to another path (the callback transaction cookie)', () => {
    expect(applySetCookie('a=1', ['smart_session_tx_x=v; Path=/callback; Max-Age=600'])).toBe('a=1');
  });
});
