import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, MemoryStore, createSmart, type SmartConfig } from '@smart-launch/core';
import { sessionCookie } from './session-cookie.js';

const ISS = 'https://ehr.example.com/fhir';
const config: SmartConfig = {
  issuers: [{ iss: ISS, clientId: 'app' }],
  scope: 'launch openid fhirUser patient/*.rs',
  session: { secret: 'testing-kit-secret-0123456789abcdefgh' },
};
const load = (c: SmartConfig, cookie: string) => createSmart(c).session({ cookie, url: 'http://127.0.0.1/' });

describe('sessionCookie', () => {
  it('is a session the app accepts, with sane defaults', async () => {
    const cookie = await sessionCookie(config, { patient: 'Patient/123', fhirUser: 'Practitioner/9', accessToken: 'plain-access-token' });
    // One launch slot (ADR 0008): `smart_session~<handle>`.
    expect(cookie).toMatch(/^smart_session~[\w-]{10}=[^;]+$/);
    expect(cookie).not.toContain('plain-access-token'); // sealed, not just encoded
    const { context } = await load(config, cookie);
    expect(context).toMatchObject({ serverUrl: ISS, patient: '123', fhirUser: `${ISS}/Practitioner/9`, scope: 'launch openid fhirUser patient/*.rs', tokenType: 'Bearer' });
    expect(context!.expiresAt! - Date.now() / 1000).toBeGreaterThan(3500);
    expect(context!.accessToken).toBe('plain-access-token');
    expect((await load(config, await sessionCookie(config))).context!.accessToken).toMatch(/^test-/);
    expect(context!.hasScope('patient/Observation.rs')).toBe(true);
  });

  it('sets what it is given: scope, token, context, no expiry', async () => {
    const cookie = await sessionCookie(config, { scope: 'openid user/*.rs', accessToken: 'tok', expiresAt: null, encounter: 'e1', fhirContext: ['Observation/7'], needPatientBanner: false });
    const { context } = await load(config, cookie);
    expect(context).toMatchObject({ scope: 'openid user/*.rs', accessToken: 'tok', encounter: 'e1', needPatientBanner: false, fhirContext: [{ reference: 'Observation/7', role: 'launch' }] });
    expect(context!.expiresAt).toBeUndefined();
    expect(context!.patient).toBeUndefined();
  });

  it('is sealed with the secret: an app with another secret refuses it', async () => {
    const cookie = await sessionCookie(config, { patient: '1' });
    const other = { ...config, session: { secret: 'another-secret-0123456789abcdefghijk' } };
    expect((await load(other, cookie)).context).toBeNull();
    // Key rotation works as in the app: the old secret listed second still opens it.
    const rotated = { ...config, session: { secret: [other.session.secret as string, config.session.secret as string] } };
    expect((await load(rotated, cookie)).context?.patient).toBe('1');
  });

  it('follows the cookie name and chunks large sessions like the app does', async () => {
    const named = { ...config, session: { ...config.session, cookieName: 'my_app' } };
    // Random ids: a session too large for one cookie even when compressed.
    const big = Array.from({ length: 50 }, () => ({ reference: `DocumentReference/${randomBytes(60).toString('base64url')}`, role: 'launch' }));
    const cookie = await sessionCookie(named, { patient: '1', fhirContext: big });
    expect(cookie).toMatch(/^my_app~([\w-]{10})=.*; my_app~\1\.1=/);
    expect((await load(named, cookie)).context?.fhirContext).toHaveLength(50);
  });

  it('store mode: writes the store entry, the cookie only names it', async () => {
    const store = new MemoryStore();
    const withStore = { ...config, session: { ...config.session, store } };
    const cookie = await sessionCookie(withStore, { patient: '42', accessToken: 'stored-token' });
    expect(store.size).toBe(1);
    expect(cookie).not.toContain('.1=');
    expect((await load(withStore, cookie)).context).toMatchObject({ patient: '42', accessToken: 'stored-token' });
    // The same cookie without the store entry is no session.
    expect((await load({ ...config, session: { ...config.session, store: new MemoryStore() } }, cookie)).context).toBeNull();
  });

  it('refuses what the app would never hold: an iss outside the allowlist, a bad secret', async () => {
    await expect(sessionCookie(config, { iss: 'https://other.example.com/fhir' })).rejects.toBeInstanceOf(ConfigError);
    await expect(sessionCookie({ session: { secret: 'short' } }, { iss: ISS })).rejects.toThrow(/session\.secret/);
    await expect(sessionCookie({ session: config.session })).rejects.toThrow(/iss/);
    // With only the session part of the config, the session names its own iss.
    const cookie = await sessionCookie({ session: config.session }, { iss: ISS });
    expect((await load(config, cookie)).context?.serverUrl).toBe(ISS);
  });
});
