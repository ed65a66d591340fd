import { describe, expect, it } from 'vitest';
import { MemoryStore, type SmartConfig } from '@smart-launch/core';
import { smartNext } from '../index.js';

const config = (store?: MemoryStore): SmartConfig => ({
  issuers: [{ iss: 'https://ehr.example/fhir', clientId: 'registry-test' }],
  session: { secret: 'registry-test-secret-0123456789abcdef', ...(store ? { store } : {}) },
});

describe('instances shared per config (one per process, as Next.js evaluates smart.ts once per bundle)', () => {
  it('the same config content shares one instance', () => {
    expect(smartNext(config()).smart).toBe(smartNext(config()).smart);
    const store = new MemoryStore();
    expect(smartNext(config(store)).smart).toBe(smartNext(config(store)).smart);
  });

  it('two configs that differ only in their store instance are two instances (the second store is used)', () => {
    const a = smartNext(config(new MemoryStore())).smart;
    const b = smartNext(config(new MemoryStore())).smart;
    expect(a).not.toBe(b);
  });

  it('functions minified differently per bundle (parameter names) still share one instance', () => {
    // What Next.js production bundles of one smart.ts hold: the same logger, renamed parameters.
    const proxyBundle = { ...config(), logger: { warn: (e: string) => console.warn(e), error: (e: string) => console.error(e) } };
    const routeBundle = { ...config(), logger: { warn: (a: string) => console.warn(a), error: (a: string) => console.error(a) } };
    expect(smartNext(proxyBundle).smart).toBe(smartNext(routeBundle).smart);
  });
});
