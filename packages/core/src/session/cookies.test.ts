import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, clearChunked, getCookie, hasCookiePrefix, parseCookies, readChunked, readChunkedHeader, serializeCookie, writeChunked } from './cookies.js';

const toJar = (setCookies: string[]) => new Map(setCookies.map((c) => { const [nv] = c.split(';'); const i = nv!.indexOf('='); return [nv!.slice(0, i), nv!.slice(i + 1)]; }));

describe('cookies', () => {
  it('parses and finds cookies', () => {
    const h = 'a=1; smart_session=abc*def~2; b="q"';
    expect(parseCookies(h).get('b')).toBe('q');
    expect(getCookie(h, 'smart_session')).toBe('abc*def~2');
    expect(getCookie(h, 'smart')).toBeUndefined();
    expect(getCookie(undefined, 'a')).toBeUndefined();
  });

  it('serialises with secure attributes', () => {
    const c = serializeCookie('n', 'v', { secure: true, sameSite: 'none', maxAge: 60, partitioned: true });
    expect(c).toBe('n=v; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=None; Partitioned');
    expect(serializeCookie('n', '', { maxAge: 0 })).toMatch(/Max-Age=0; Expires=Thu, 01 Jan 1970/);
  });

  it('chunks values over 4 KB and reassembles them', () => {
    const value = 'x'.repeat(CHUNK_SIZE * 2 + 10);
    const set = writeChunked('s', value, new Map(), {});
    expect(set).toHaveLength(3);
    for (const c of set) expect(c.length).toBeLessThan(4096);
    expect(readChunked('s', toJar(set))).toBe(value);
  });

  it('clears chunks that are no longer needed', () => {
    const before = new Map([['s', 'a'], ['s.1', 'b'], ['s.2', 'c'], ['other', 'z']]);
    const set = writeChunked('s', 'short', before, {});
    expect(set).toHaveLength(3);
    expect(set.filter((c) => c.includes('Max-Age=0')).map((c) => c.split('=')[0])).toEqual(['s.1', 's.2']);
    expect(clearChunked('s', before, {}).map((c) => c.split('=')[0])).toEqual(['s', 's.1', 's.2']);
  });

  it('finds chunks by cookie name only, wherever they are in the header (the hot path reads no value)', () => {
    const seal = 's2.' + 'x'.repeat(3000);
    expect(hasCookiePrefix(`a=1; s~h=${seal}; s~h.1=tail`, 's~h.')).toBe(true);
    expect(hasCookiePrefix(`s~h.1=tail;s~h=${seal}`, 's~h.')).toBe(true);
    // Only in a value: not a cookie.
    expect(hasCookiePrefix(`a=s~h.1; s~h=${seal}`, 's~h.')).toBe(false);
    // A pair starting with a character parseCookies would trim: counted (the slow path decides).
    expect(hasCookiePrefix(`s~h=${seal};\ts~h.1=x`, 's~h.')).toBe(true);
    // So a chunk the browser sends is never ignored by the one-chunk shortcut.
    expect(readChunkedHeader('s~h', `s~h=${seal}; s~h.1=tail`)).toBe(`${seal}tail`);
    expect(readChunkedHeader('s~h', `s~h=${seal};\ts~h.1=tail`)).toBe(`${seal}tail`);
    expect(readChunkedHeader('s~h', `s~h=${seal}; other=s~h.1`)).toBe(seal);
  });
});
