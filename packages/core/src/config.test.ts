import { describe, expect, it } from 'vitest';
import { resolveConfig, type SmartConfig } from './config.js';
import { ConfigError } from './errors.js';

const secret = 'x'.repeat(32);
const base: SmartConfig = { issuers: [{ iss: 'https://ehr.example.com/fhir/', clientId: 'app' }], session: { secret } };

function err(config: unknown): ConfigError {
  try {
    resolveConfig(config as SmartConfig);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('applies sane defaults and normalises the iss', () => {
    const c = resolveConfig(base);
    expect([...c.issuers.keys()]).toEqual(['https://ehr.example.com/fhir']);
    expect(c.defaultIss).toBe('https://ehr.example.com/fhir');
    expect(c.routes).toEqual({ launch: '/launch', callback: '/callback', logout: '/logout' });
    expect(c.session.sameSite).toBe('lax');
    expect(c.issuers.get('https://ehr.example.com/fhir')!.clientType).toBe('public');
  });

  it('detects the client type from the credentials', () => {
    const c = resolveConfig({ ...base, issuers: [
      { iss: 'https://a.example/fhir', clientId: 'a', clientSecret: 's' },
      { iss: 'https://b.example/fhir', clientId: 'b', privateKey: { kty: 'EC', d: 'x' } },
    ] });
    expect(c.issuers.get('https://a.example/fhir')!.clientType).toBe('confidential-symmetric');
    expect(c.issuers.get('https://b.example/fhir')!.clientType).toBe('confidential-asymmetric');
  });

  it('names the wrong key in its message', () => {
    expect(err({ ...base, issuers: [] }).message).toMatch(/`issuers`/);
    expect(err({ ...base, issuers: [{ iss: 'nope', clientId: 'a' }] }).message).toMatch(/`issuers\[0\]\.iss` must be an absolute URL/);
    expect(err({ ...base, issuers: [{ iss: 'https://a.example', clientId: '' }] }).message).toMatch(/clientId/);
    expect(err({ ...base, session: { secret: 'short' } }).message).toMatch(/session\.secret.*32/);
    expect(err({ ...base, defaultIss: 'https://other.example' }).message).toMatch(/defaultIss/);
    expect(err({ ...base, routes: { launch: 'launch' } }).message).toMatch(/routes\.launch/);
    expect(err({ ...base, issuers: [{ iss: 'https://a.example', clientId: 'a', clientSecret: 's', privateKey: '{}' }] }).message).toMatch(/not both/);
    expect(err({ ...base, issuers: [{ iss: 'https://a.example', clientId: 'a', alg: 'HS256' }] }).message).toMatch(/RS384/);
    expect(err({ ...base, session: { secret, sameSite: 'none', secure: false } }).message).toMatch(/secure/);
  });

  it('refuses a plain-http EHR off loopback (SMART: TLS everywhere)', () => {
    expect(err({ ...base, issuers: [{ iss: 'http://ehr.example.com/fhir', clientId: 'a' }] }).message).toMatch(/https/);
    expect(() => resolveConfig({ ...base, issuers: [{ iss: 'http://127.0.0.1:4010/fhir', clientId: 'a' }] })).not.toThrow();
    expect(() => resolveConfig({ ...base, dangerouslyAllowInsecureHttp: true, issuers: [{ iss: 'http://ehr.example.com/fhir', clientId: 'a' }] })).not.toThrow();
  });

  it('refuses the same iss twice', () => {
    expect(err({ ...base, issuers: [{ iss: 'https://a.example/fhir', clientId: 'a' }, { iss: 'https://a.example/fhir/', clientId: 'b' }] }).message).toMatch(/twice/);
  });

  it('never echoes a secret in its messages', () => {
    const e = err({ ...base, issuers: [{ iss: 'https://a.example', clientId: 'a', clientSecret: 'TOPSECRET-VALUE', privateKey: '{}' }] });
    expect(e.message).not.toContain('TOPSECRET-VALUE');
  });
});
