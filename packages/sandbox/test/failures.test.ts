import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { authorize, publicLogin, REDIRECT_URI, token } from './helpers.js';

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true }); });
afterAll(async () => { await sandbox.stop(); });
beforeEach(() => { sandbox.clearFailures(); sandbox.resetStats(); });

const SCOPE = 'launch/patient offline_access patient/*.rs';

describe('simulated failures', () => {
  it('access_denied and invalid_scope redirect with state, once', async () => {
    for (const kind of ['access_denied', 'invalid_scope'] as const) {
      sandbox.fail({ kind });
      const a = await authorize(sandbox, { clientId: 'demo-public', scope: SCOPE });
      expect(a.callback.searchParams.get('error')).toBe(kind);
      expect(a.callback.searchParams.get('state')).toBe(a.state);
      expect((await authorize(sandbox, { clientId: 'demo-public', scope: SCOPE })).code).toBeTruthy();
    }
  });

  it('only hit the given client', async () => {
    sandbox.fail({ kind: 'access_denied', clientId: 'demo-symmetric', times: Infinity });
    expect((await authorize(sandbox, { clientId: 'demo-public', scope: SCOPE })).code).toBeTruthy();
    expect((await authorize(sandbox, { clientId: 'demo-symmetric', scope: SCOPE })).callback.searchParams.get('error')).toBe('access_denied');
    expect((await authorize(sandbox, { clientId: 'demo-symmetric', scope: SCOPE })).callback.searchParams.get('error')).toBe('access_denied');
  });

  it('token_500 answers 500 server_error and leaves the code usable', async () => {
    const a = await authorize(sandbox, { clientId: 'demo-public', scope: SCOPE });
    const body = { grant_type: 'authorization_code', code: a.code!, code_verifier: a.verifier, redirect_uri: REDIRECT_URI, client_id: 'demo-public' };
    sandbox.fail({ kind: 'token_500' });
    const failed = await token(sandbox.origin, body);
    expect(failed.status).toBe(500);
    expect(failed.body.error).toBe('server_error');
    expect((await token(sandbox.origin, body)).status).toBe(200);
    expect(sandbox.stats().token.authorization_code).toBe(2);
  });

  it('token_slow delays the token response', async () => {
    sandbox.fail({ kind: 'token_slow', delayMs: 400 });
    const started = Date.now();
    const t = await publicLogin(sandbox, SCOPE);
    expect(t.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('refresh_invalid_grant fails the next refresh', async () => {
    const t = await publicLogin(sandbox, SCOPE);
    sandbox.fail({ kind: 'refresh_invalid_grant' });
    const r = await token(sandbox.origin, { grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: 'demo-public' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    expect(sandbox.stats().token).toMatchObject({ authorization_code: 1, refresh_token: 1 });
  });

  it('can be armed and reset over HTTP', async () => {
    const arm = await fetch(`${sandbox.origin}/_sandbox/fail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'token_500', times: 5 }) });
    expect(arm.status).toBe(200);
    expect((await publicLogin(sandbox, SCOPE)).status).toBe(500);
    expect((await fetch(`${sandbox.origin}/_sandbox/reset`, { method: 'POST' })).status).toBe(200);
    expect((await publicLogin(sandbox, SCOPE)).status).toBe(200);
    const bad = await fetch(`${sandbox.origin}/_sandbox/fail`, { method: 'POST', body: JSON.stringify({ kind: 'nope' }) });
    expect(bad.status).toBe(400);
  });
});
