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
    const parts = sealed.split('*');
    parts[4] = parts[4]!.slice(0, -2) + (parts[4]!.endsWith('AA') ? 'BB' : 'AA');
    expect(await new Sealer([A]).unseal(parts.join('*'), 60)).toBeUndefined();
    expect(await new Sealer([B]).unseal(sealed, 60)).toBeUndefined();
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
