import { describe, expect, it } from 'vitest';
import { isLaunchHandle, isPageNavigation, newLaunchHandle, queryParam, resolveLaunch, slotHandles, withLaunchParam } from './launch-handle.js';

const APP = 'http://127.0.0.1:3000';
const A = 'AAAAAAAAAA';
const B = 'BBBBBBBB-_';

describe('launch handles (ADR 0008)', () => {
  it('are 10 random base64url characters', () => {
    const hs = new Set(Array.from({ length: 200 }, newLaunchHandle));
    expect(hs.size).toBe(200);
    for (const h of hs) expect(isLaunchHandle(h)).toBe(true);
    expect(isLaunchHandle('short')).toBe(false);
    expect(isLaunchHandle('AAAAAAAAA/')).toBe(false);
  });

  it('slotHandles finds the slots of a large header exactly as a search for the marker would', () => {
    // The reference: every occurrence of the marker at the start or after ';' or ' '.
    const reference = (header: string, name: string) => {
      const out: string[] = [];
      const marker = `${name}~`;
      for (let i = header.indexOf(marker); i >= 0; i = header.indexOf(marker, i + marker.length)) {
        if (i > 0 && header[i - 1] !== ';' && header[i - 1] !== ' ') continue;
        const eq = header.indexOf('=', i + marker.length);
        if (eq < 0) break;
        const h = header.slice(i + marker.length, eq).trim();
        if (isLaunchHandle(h) && !out.includes(h)) out.push(h);
      }
      return out;
    };
    const seal = 's2.' + 'x'.repeat(2000);
    const headers = [
      `smart_session~${A}=${seal}`,
      `a=1;smart_session~${A}=${seal}; smart_session~${A}.1=y;smart_session~${B}=${seal}`,
      `x=smart_session~${A}=1; smart_session~${B}=${seal}`,
      `x=a smart_session~${A}=1;  smart_session~${B}=${seal}; smart_session~${A}=again`,
      `smart_session~${B}`,
      `;;; ;smart_session~${A}=`,
    ];
    for (const h of headers) expect(slotHandles(h, 'smart_session'), h.slice(0, 60)).toEqual(reference(h, 'smart_session'));
    expect(slotHandles(headers[1], 'smart_session')).toEqual([A, B]);
  });

  it('slotHandles lists slot cookies, not chunks, other cookies or look-alikes', () => {
    const header = `other=1; smart_session~${A}=x; smart_session~${A}.1=y; xsmart_session~${B}=z; smart_session=legacy; smart_session_tx_abc=t;smart_session~${B}=w`;
    expect(slotHandles(header, 'smart_session')).toEqual([A, B]);
    expect(slotHandles(undefined, 'smart_session')).toEqual([]);
    expect(slotHandles('smart_session~bad=1', 'smart_session')).toEqual([]);
  });

  it('resolution order: URL, header, same-origin Referer, then the only slot', () => {
    const both = [A, B];
    expect(resolveLaunch('smart_launch', { url: `${APP}/x?smart_launch=${A}`, header: B, referer: `${APP}/?smart_launch=${B}`, appOrigin: APP }, both)).toEqual({ kind: 'named', handle: A, via: 'url' });
    expect(resolveLaunch('smart_launch', { url: `${APP}/x`, header: B, referer: `${APP}/?smart_launch=${A}`, appOrigin: APP }, both)).toEqual({ kind: 'named', handle: B, via: 'header' });
    expect(resolveLaunch('smart_launch', { url: `${APP}/x`, referer: `${APP}/page?a=1&smart_launch=${A}`, appOrigin: APP }, both)).toEqual({ kind: 'named', handle: A, via: 'referer' });
    expect(resolveLaunch('smart_launch', { url: `${APP}/x`, appOrigin: APP }, [B])).toEqual({ kind: 'only', handle: B });
    expect(resolveLaunch('smart_launch', { url: `${APP}/x`, appOrigin: APP }, [])).toEqual({ kind: 'none' });
    expect(resolveLaunch('smart_launch', { url: `${APP}/x`, appOrigin: APP }, both)).toEqual({ kind: 'ambiguous' });
  });

  it('a cross-origin (or look-alike) Referer names nothing', () => {
    for (const referer of [`http://evil.example/?smart_launch=${A}`, `${APP}.evil.example/?smart_launch=${A}`, `http://127.0.0.1:30001/?smart_launch=${A}`]) {
      expect(resolveLaunch('smart_launch', { url: `${APP}/x`, referer, appOrigin: APP }, [A, B])).toEqual({ kind: 'ambiguous' });
    }
  });

  it('a named launch never falls back to the only slot, even when malformed', () => {
    expect(resolveLaunch('smart_launch', { url: `${APP}/x?smart_launch=gone`, appOrigin: APP }, [B])).toEqual({ kind: 'named', handle: 'gone', via: 'url' });
    expect(resolveLaunch('smart_launch', { url: `${APP}/x?smart_launch=`, appOrigin: APP }, [B])).toEqual({ kind: 'named', handle: '', via: 'url' });
  });

  it('the parameter name is configurable', () => {
    expect(resolveLaunch('l', { url: `${APP}/x?l=${A}&smart_launch=${B}`, appOrigin: APP }, [A, B])).toEqual({ kind: 'named', handle: A, via: 'url' });
    expect(queryParam(`${APP}/x?xl=${A}`, 'l')).toBeNull();
  });

  it('withLaunchParam sets (replaces) the parameter and keeps the rest', () => {
    expect(withLaunchParam('/', 'smart_launch', A)).toBe(`/?smart_launch=${A}`);
    expect(withLaunchParam(`/chart?x=1&smart_launch=${B}#top`, 'smart_launch', A)).toBe(`/chart?x=1&smart_launch=${A}#top`);
  });

  it('page navigations: Fetch Metadata, else a GET that accepts HTML', () => {
    const h = (o: Record<string, string>) => (n: string) => o[n];
    expect(isPageNavigation('GET', h({ 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }))).toBe(true);
    expect(isPageNavigation('GET', h({ 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' }))).toBe(true);
    expect(isPageNavigation('GET', h({ 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', accept: 'text/html' }))).toBe(false);
    expect(isPageNavigation('POST', h({ 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }))).toBe(false);
    expect(isPageNavigation('GET', h({ accept: 'text/html,*/*' }))).toBe(true);
    expect(isPageNavigation('GET', h({ accept: 'application/json' }))).toBe(false);
  });
});
