import { describe, expect, it } from 'vitest';
import { Sealer } from './seal.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('Sealer', () => {
  it('round-trips and hides the content', async () => {
    const s = new Sealer([A]);
    const sealed = await s.seal({ accessToken: 'SECRET-TOKEN' }, 60);
    expect(sealed).not.toContain('SECRET-TOKEN');
    expect(await new Sealer([A]).unseal(sealed, 60)).toEqual({ accessToken: 'SECRET-TOKEN' });
  });

  it('refuses a tampered seal and a wrong secret (authenticated encryption)', async () => {
    const sealed = await new Sealer([A]).seal({ x: 1 }, 60);
    const i = sealed.length - 30;
    const flipped = sealed.slice(0, i) + (sealed[i] === 'A' ? 'B' : 'A') + sealed.slice(i + 1);
    expect(await new Sealer([A]).unseal(flipped, 60)).toBeUndefined();
    expect(await new Sealer([B]).unseal(sealed, 60)).toBeUndefined();
  });

  it('authenticates the whole string: nothing may be appended, prefixed or spelled differently', async () => {
    const s = new Sealer([A]);
    const sealed = await s.seal({ x: 1 }, 60);
    expect(await s.unseal(sealed, 60)).toEqual({ x: 1 });
    for (const forged of [`${sealed}A`, `${sealed}~2`, `${sealed} `, `x${sealed}`, sealed.replace(/^s2\./, 's3.')]) {
      expect(await new Sealer([A]).unseal(forged, 60)).toBeUndefined();
    }
    // base64url with non-zero padding bits decodes to the same bytes: refused (not our spelling).
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const bytes = (t: string) => Buffer.from(t.split('.')[2]!, 'base64url');
    let twin: string | undefined;
    for (let pad = 0; !twin && pad < 3; pad++) {
      const seal = await s.seal({ x: 'y'.repeat(pad) }, 60);
      twin = [...alphabet].map((c) => seal.slice(0, -1) + c).find((t) => t !== seal && bytes(t).equals(bytes(seal)));
    }
    expect(twin).toBeDefined();
    expect(await new Sealer([A]).unseal(twin!, 60)).toBeUndefined();
  });

  it('legacy iron seals are read only in their exact format (no trailing bytes after ~2)', async () => {
    const { sealData } = await import('iron-session');
    const { createHash } = await import('node:crypto');
    const id = String(parseInt(createHash('sha256').update(A).digest('hex').slice(0, 8), 16));
    const iron = await sealData({ legacy: true }, { password: { [id]: A }, ttl: 60 });
    expect(await new Sealer([A]).unseal(iron, 60)).toEqual({ legacy: true });
    expect(await new Sealer([A]).unseal(`${iron}garbage`, 60)).toBeUndefined();
    expect(await new Sealer([A]).unseal(`${iron}~2`, 60)).toBeUndefined();
  });

  it('compresses when asked, and a compressed seal is smaller for token-like data', async () => {
    const s = new Sealer([A]);
    const value = { accessToken: `eyJ${'abcDEF123_-'.repeat(100)}`, scope: Array.from({ length: 40 }, (_, i) => `patient/Resource${i}.rs`).join(' ') };
    const plain = await s.seal(value, 60);
    const small = await s.seal(value, 60, { compress: true });
    expect(small.length).toBeLessThan(plain.length);
    expect(await s.unseal(small, 60)).toEqual(value);
  });

  it('an expired seal is refused', async () => {
    const s = new Sealer([A]);
    const sealed = await s.seal({ x: 1 }, 1);
    const now = Date.now();
    const spy = (await import('vitest')).vi.spyOn(Date, 'now').mockReturnValue(now + 2000);
    try {
      expect(await new Sealer([A]).unseal(sealed, 60)).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });

  it('rotates keys: the first secret seals, all listed secrets unseal, in any order', async () => {
    const old = await new Sealer([A]).seal({ v: 'old' }, 60);
    expect(await new Sealer([B, A]).unseal(old, 60)).toEqual({ v: 'old' });
    const fresh = await new Sealer([B, A]).seal({ v: 'new' }, 60);
    expect(await new Sealer([A, B]).unseal(fresh, 60)).toEqual({ v: 'new' });
    expect(await new Sealer([A]).unseal(fresh, 60)).toBeUndefined();
  });

  it('caches verified unseals but forgets on demand', async () => {
    const s = new Sealer([A]);
    const sealed = await s.seal({ n: 1 }, 60);
    const first = await s.unseal(sealed, 60);
    expect(await s.unseal(sealed, 60)).toBe(first);
    s.forget(sealed);
    expect(await s.unseal(sealed, 60)).not.toBe(first);
  });
});
