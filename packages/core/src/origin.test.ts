import { describe, expect, it } from 'vitest';
import { appOrigin, parseForwarded, webOriginSource, type OriginSource } from './origin.js';

const source = (headers: Record<string, string>, encrypted = false): OriginSource => ({ header: (n) => headers[n], encrypted });

describe('origin policy', () => {
  it('baseUrl wins over everything', () => {
    expect(appOrigin({ baseUrl: 'https://app.example.com', trustProxy: true }, source({ host: 'x', 'x-forwarded-host': 'y' }))).toBe('https://app.example.com');
  });

  it('direct: the connection scheme and the Host header; forwarded headers ignored', () => {
    const h = { host: 'App.Example.com:8443', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.example', forwarded: 'host=evil.example' };
    expect(appOrigin({ trustProxy: false }, source(h, true))).toBe('https://app.example.com:8443');
    expect(appOrigin({ trustProxy: false }, source({ host: '127.0.0.1:3000', 'x-forwarded-proto': 'https' }))).toBe('http://127.0.0.1:3000');
  });

  it('trustProxy: Forwarded (RFC 7239) first, then X-Forwarded-*; the first hop only', () => {
    expect(appOrigin({ trustProxy: true }, source({ host: 'internal:3000', forwarded: 'for=1.2.3.4;proto=https;host="a.example", for=5.6.7.8;proto=http' }))).toBe('https://a.example');
    expect(appOrigin({ trustProxy: true }, source({ host: 'internal:3000', 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'b.example, internal' }))).toBe('https://b.example');
    expect(appOrigin({ trustProxy: true }, source({ host: 'internal:3000', 'x-forwarded-proto': 'gopher' }))).toBe('http://internal:3000');
  });

  it('a Host that is not a host (path, userinfo, spaces) falls back instead of shaping the URL', () => {
    for (const host of ['evil.example/x', 'user@evil.example', 'a b', '']) {
      expect(appOrigin({ trustProxy: false }, { ...source({ host }), fallbackHost: 'app.local' })).toBe('http://app.local');
    }
    expect(appOrigin({ trustProxy: true }, source({ host: 'ok.example', 'x-forwarded-host': 'evil.example/path' }))).toBe('http://localhost');
  });

  it('parses quoted Forwarded values; Web requests use their URL for scheme and fallback host', () => {
    expect(parseForwarded('proto="https";host="[::1]:8080"')).toEqual({ proto: 'https', host: '[::1]:8080' });
    expect(parseForwarded(undefined)).toEqual({});
    expect(appOrigin({ trustProxy: false }, webOriginSource(new Request('https://web.example/launch')))).toBe('https://web.example');
  });
});
