import 'reflect-metadata';
import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createBackendClient } from '@smart-launch/core/backend';
import { type TokenContext } from '@smart-launch/core/resource-server';
import { listen, PLATFORMS } from './__tests__/platforms.js';
import { RequireTokenScopes, SmartToken, SmartTokenGuard, SmartTokenModule } from './token.guard.js';

let sandbox: Sandbox;
let token: string;
let narrow: string;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
  const backend = (scope: string) => createBackendClient({ iss: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.es384, scope }).getAccessToken();
  [token, narrow] = await Promise.all([backend('system/*.rs'), backend('system/Patient.rs')]);
});
afterAll(() => sandbox?.stop());

describe.each(PLATFORMS)('NestJS (%s): an API protected with SMART access tokens', (platform) => {
  let app: INestApplication;
  let base: string;
  const get = (path: string, auth?: string) => fetch(`${base}${path}`, auth ? { headers: { authorization: `Bearer ${auth}` } } : {});

  beforeAll(async () => {
    @Controller('api')
    @UseGuards(SmartTokenGuard)
    @RequireTokenScopes('system/Patient.rs')
    class Api {
      @Get('patients') patients(@SmartToken() t: TokenContext) {
        return { client: t.clientId };
      }
      @Get('observations') @RequireTokenScopes('system/Observation.rs') observations() {
        return { ok: true };
      }
    }
    // Options from forRootAsync (a factory, as with ConfigService).
    const moduleRef = await Test.createTestingModule({
      imports: [SmartTokenModule.forRootAsync({ useFactory: async () => ({ iss: sandbox.fhirBaseUrl, introspection: { clientId: 'demo-backend', privateKey: demoKeys.rs384 } }) })],
      controllers: [Api],
    }).compile();
    ({ app, baseUrl: base } = await listen(moduleRef, platform));
  });
  afterAll(() => app?.close());

  it('200 with a valid token; @SmartToken() gives its context', async () => {
    const res = await get('/api/patients', token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ client: 'demo-backend' });
  });

  it('401 without a token and with an invalid one, with WWW-Authenticate', async () => {
    const none = await get('/api/patients');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    const bad = await get('/api/patients', 'nope');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('403 insufficient_scope: class and method requirements add up', async () => {
    expect((await get('/api/observations', token)).status).toBe(200);
    const res = await get('/api/observations', narrow);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('scope="system/Observation.rs"');
    expect(await res.json()).toMatchObject({ error: 'insufficient_scope', missing: ['system/Observation.rs'] });
  });

  it('400 for a token in the URL', async () => {
    const res = await fetch(`${base}/api/patients?access_token=${encodeURIComponent(token)}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });
});
