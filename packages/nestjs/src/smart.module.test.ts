import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module, RequestMethod, Res, UseGuards, type MiddlewareConsumer, type NestMiddleware, type NestModule } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { ConfigError, MemoryStore, type Smart as SmartInstance, type SmartContext } from '@smart-launch/core';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TestBrowser } from '../../../test/helpers/browser.js';
import { listen, PLATFORMS } from './__tests__/platforms.js';
import { Public } from './decorators/public.decorator.js';
import { RequireScopes } from './decorators/require-scopes.decorator.js';
import { Smart } from './decorators/smart.decorator.js';
import { SMART, SMART_SESSION_STORE } from './smart.constants.js';
import { SmartGuard } from './smart.guard.js';
import { SmartModule } from './smart.module.js';
import { SMART_MODULE_OPTIONS } from './smart.module-definition.js';

const SECRET = 'nestjs-unit-test-session-secret-0123456789';

@Controller('guarded')
@UseGuards(SmartGuard)
class GuardedController {
  @Get('me')
  me(@Smart() s: SmartContext) {
    return { patient: s.patient, fhirUser: s.fhirUser ?? null, scope: s.scope, serverUrl: s.serverUrl, token: typeof s.accessToken, fhir: typeof s.fhir.read };
  }
  @Get('observations')
  @RequireScopes('patient/Observation.rs')
  observations() {
    return { ok: true };
  }
  @Get('write')
  @RequireScopes('patient/Observation.cu', 'patient/Patient.rs')
  write() {
    return { ok: true };
  }
  @Get('own-cookie')
  @Public()
  ownCookie(@Res({ passthrough: true }) res: { append?(k: string, v: string): void; header(k: string, v: string): void }) {
    // Each platform's own way to add a cookie (Express: append; Fastify: reply.header).
    if (res.append) res.append('set-cookie', 'app=1; Path=/');
    else res.header('set-cookie', 'app=1; Path=/');
    return { ok: true };
  }
  @Get('open')
  @Public()
  open(@Smart({ optional: true }) s: SmartContext | null) {
    return { signedIn: s !== null };
  }
}

@Controller('mixed')
class MixedController {
  @Get('free')
  free() {
    return { ok: true };
  }
  @Get('guarded')
  @UseGuards(SmartGuard)
  guarded() {
    return { ok: true };
  }
  // No guard: @Smart() itself fails closed.
  @Get('param')
  param(@Smart() s: SmartContext) {
    return { patient: s.patient };
  }
}

/** The app's own middleware: it runs after SmartModule's, so it sees the session. */
@Injectable()
class SeenMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    res.setHeader('x-seen-patient', req.smart?.patient ?? 'none');
    next();
  }
}

/** A feature module: SmartGuard resolves there because SmartModule is global. */
@Module({ controllers: [GuardedController, MixedController] })
class FeatureModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(SeenMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}

const login = async (baseUrl: string, browser = new TestBrowser()) => {
  const r = await browser.navigate(`${baseUrl}/launch?returnTo=${encodeURIComponent('/guarded/open')}`);
  expect(r.res.status).toBe(200);
  // The redirect after the callback names the launch (ADR 0008).
  expect(r.url).toMatch(new RegExp(`^${baseUrl}/guarded/open\\?smart_launch=[A-Za-z0-9_-]{10}$`));
  return browser;
};
const json = { accept: 'application/json' };

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
});
afterAll(() => sandbox?.stop());

describe.each(PLATFORMS)('SmartModule.forRoot on %s', (platform) => {
  let baseUrl: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SmartModule.forRoot({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }], session: { secret: SECRET } }), FeatureModule],
    }).compile();
    const started = await listen(moduleRef, platform);
    baseUrl = started.baseUrl;
    close = () => started.app.close();
  });
  afterAll(() => close?.());

  it("the app's own middleware runs after SmartModule's: it sees req.smart", async () => {
    const browser = await login(baseUrl);
    const signedIn = await browser.fetch(`${baseUrl}/mixed/free`, { headers: json });
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('x-seen-patient')).toMatch(/^p\d+$/);
    const anonymous = await fetch(`${baseUrl}/mixed/free`, { headers: json });
    expect(anonymous.headers.get('x-seen-patient')).toBe('none');
  });

  it('mounts /launch, /callback and /logout without a controller (core answers them)', async () => {
    const launch = await fetch(`${baseUrl}/launch`, { redirect: 'manual' });
    expect([200, 302, 303]).toContain(launch.status);
    expect(launch.headers.getSetCookie().some((c) => c.startsWith('smart_session_tx_'))).toBe(true);
    const cb = await fetch(`${baseUrl}/callback?code=x`, { redirect: 'manual' });
    expect(cb.status).toBe(400);
    expect(await cb.text()).toContain('state_missing');
    const out = await fetch(`${baseUrl}/logout`, { method: 'POST', redirect: 'manual' });
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('/');
    expect((await fetch(`${baseUrl}/launch`, { method: 'PUT', redirect: 'manual' })).status).toBe(405);
  });

  it('without a session: API 401 JSON, browser redirect to launch with returnTo, @Public() passes', async () => {
    const api = await fetch(`${baseUrl}/guarded/me`, { headers: json, redirect: 'manual' });
    expect(api.status).toBe(401);
    expect(api.headers.get('www-authenticate')).toBe('Bearer');
    expect(await api.json()).toEqual({ error: 'not_authenticated', message: expect.any(String) });
    const page = await fetch(`${baseUrl}/guarded/me?x=1`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`/launch?returnTo=${encodeURIComponent('/guarded/me?x=1')}`);
    expect(await (await fetch(`${baseUrl}/guarded/open`, { headers: json })).json()).toEqual({ signedIn: false });
  });

  it("the session's Set-Cookie survives a handler that sets its own cookie", async () => {
    // A forged session cookie is no session, and the answer clears it.
    const res = await fetch(`${baseUrl}/guarded/own-cookie`, { headers: { cookie: 'smart_session=forged-value' } });
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    expect(cookies).toContain('app=1; Path=/');
    expect(cookies.some((c) => c.startsWith('smart_session=;') && /Max-Age=0/.test(c))).toBe(true);
  });

  it('per-route guard and the fail-closed @Smart() on an unguarded route', async () => {
    expect((await fetch(`${baseUrl}/mixed/free`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/mixed/guarded`, { headers: json })).status).toBe(401);
    const param = await fetch(`${baseUrl}/mixed/param`, { headers: json });
    expect(param.status).toBe(401);
    expect(await param.json()).toMatchObject({ error: 'not_authenticated' });
  });

  it('after a launch: @Smart() gives the SmartContext, scopes are enforced with 403 + missing', async () => {
    const browser = await login(baseUrl);
    const me = await browser.fetch(`${baseUrl}/guarded/me`, { headers: json });
    expect(me.status).toBe(200);
    const body = (await me.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ patient: expect.any(String), serverUrl: sandbox.fhirBaseUrl, token: 'string', fhir: 'function' });
    expect(String(body.scope)).toContain('patient/*.rs');
    expect((await browser.fetch(`${baseUrl}/guarded/observations`, { headers: json })).status).toBe(200);
    const write = await browser.fetch(`${baseUrl}/guarded/write`, { headers: json });
    expect(write.status).toBe(403);
    expect(await write.json()).toEqual({ error: 'insufficient_scope', message: expect.any(String), missing: ['patient/Observation.cu'] });
    expect(write.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect(await (await browser.fetch(`${baseUrl}/mixed/param`, { headers: json })).json()).toEqual({ patient: body.patient });
    // Logout through the module's route ends it.
    expect((await browser.fetch(`${baseUrl}/logout`)).status).toBe(302);
    expect((await browser.fetch(`${baseUrl}/guarded/me`, { headers: json })).status).toBe(401);
  });
});

// As apps start in production (NestFactory.create, then listen): the middleware is registered on
// the platform (Express app.use(), Fastify middie) ahead of the app's own middleware.
describe.each(PLATFORMS)('SmartModule under NestFactory.create on %s', (platform) => {
  let baseUrl: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    @Module({ imports: [SmartModule.forRoot({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }], session: { secret: SECRET } }), FeatureModule] })
    class AppModule {}
    const app = platform === 'fastify' ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false }) : await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    close = () => app.close();
  });
  afterAll(() => close?.());

  it("launch, the session in the app's own middleware and in a guarded route, logout", async () => {
    const browser = await login(baseUrl);
    const seen = await browser.fetch(`${baseUrl}/mixed/free`, { headers: json });
    expect(seen.headers.get('x-seen-patient')).toMatch(/^p\d+$/);
    const me = await browser.fetch(`${baseUrl}/guarded/me`, { headers: json });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { patient: string }).patient).toBe(seen.headers.get('x-seen-patient'));
    expect((await browser.fetch(`${baseUrl}/logout`)).status).toBe(302);
    expect((await browser.fetch(`${baseUrl}/guarded/me`, { headers: json })).status).toBe(401);
  });

  it('a route that is not a SMART route nor a Nest route still gets 404, once', async () => {
    const res = await fetch(`${baseUrl}/nowhere`, { headers: json });
    expect(res.status).toBe(404);
  });
});

describe.each(PLATFORMS)('SmartModule.forRootAsync on %s', (platform) => {
  const store = new MemoryStore();
  const set = vi.spyOn(store, 'set');
  let baseUrl: string;
  let smart: SmartInstance;
  let close: () => Promise<void>;

  @Injectable()
  class NeedsStore {
    constructor(@Inject(SMART_SESSION_STORE) readonly store: unknown) {}
  }

  @Controller('api')
  class ApiController {
    @Get('context')
    context(@Smart() s: SmartContext) {
      return { patient: s.patient };
    }
    @Get('health')
    @Public()
    health() {
      return { ok: true };
    }
  }

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ SMART_ISS: sandbox.fhirBaseUrl, SMART_CLIENT_ID: 'demo-public', SESSION_SECRET: SECRET })] }),
        SmartModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            issuers: [{ iss: config.getOrThrow<string>('SMART_ISS'), clientId: config.getOrThrow<string>('SMART_CLIENT_ID') }],
            session: { secret: config.getOrThrow<string>('SESSION_SECRET') },
            routes: { launch: '/smart/launch', callback: '/smart/callback', logout: '/smart/logout' },
            afterLoginPath: '/api/context',
          }),
        }),
      ],
      controllers: [ApiController],
      providers: [NeedsStore, { provide: APP_GUARD, useClass: SmartGuard }],
    })
      .overrideProvider(SMART_SESSION_STORE)
      .useValue(store)
      .compile();
    smart = moduleRef.get(SMART);
    expect(moduleRef.get(NeedsStore).store).toBe(store);
    const started = await listen(moduleRef, platform);
    baseUrl = started.baseUrl;
    close = () => started.app.close();
  });
  afterAll(() => close?.());

  it('takes its config from ConfigService: custom routes are mounted, the defaults are not', async () => {
    expect(smart.routes).toEqual({ launch: '/smart/launch', callback: '/smart/callback', logout: '/smart/logout' });
    const cb = await fetch(`${baseUrl}/smart/callback`, { redirect: 'manual' });
    expect(cb.status).toBe(400);
    expect(await cb.text()).toContain('state_missing');
    expect((await fetch(`${baseUrl}/callback?state=x`, { headers: json })).status).toBe(404); // not a route any more
  });

  it('APP_GUARD: every route needs a session except @Public() ones', async () => {
    expect((await fetch(`${baseUrl}/api/health`)).status).toBe(200);
    const page = await fetch(`${baseUrl}/api/context`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(401); // /api/ paths always get JSON, as in the Express adapter
  });

  it('the session lives in the store injected through SMART_SESSION_STORE', async () => {
    const browser = new TestBrowser();
    const r = await browser.navigate(`${baseUrl}/smart/launch`);
    expect(r.url).toMatch(new RegExp(`^${baseUrl}/api/context\\?smart_launch=[A-Za-z0-9_-]{10}$`));
    expect(r.res.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ patient: expect.any(String) });
    expect(set).toHaveBeenCalled();
    // Store mode: the cookie carries a sealed id only, not the tokens.
    expect([...browser.cookies].find(([n]) => n.startsWith('smart_session~'))![1].value.length).toBeLessThan(400);
  });
});

describe('SmartModule configuration errors', () => {
  it('forRoot validates the config at startup, naming the wrong key', async () => {
    const build = Test.createTestingModule({ imports: [SmartModule.forRoot({ issuers: [{ iss: 'http://ehr.example/fhir', clientId: 'a' }], session: { secret: SECRET } })] }).compile();
    await expect(build).rejects.toThrow(ConfigError);
    await expect(
      Test.createTestingModule({ imports: [SmartModule.forRoot({ issuers: [{ iss: 'https://ehr.example/fhir', clientId: 'a' }], session: { secret: 'short' } })] }).compile(),
    ).rejects.toThrow(/session\.secret/);
  });

  it('forRootAsync: a bad private key fails the start, not the first launch', async () => {
    const build = Test.createTestingModule({
      imports: [SmartModule.forRootAsync({ useFactory: async () => ({ issuers: [{ iss: 'https://ehr.example/fhir', clientId: 'a', privateKey: '{"kty":"RSA"}' }], session: { secret: SECRET } }) })],
    }).compile();
    await expect(build).rejects.toThrow(/privateKey/);
  });

  it('is global by default; isGlobal: false keeps its providers to importers', async () => {
    @Module({ providers: [{ provide: 'probe', useFactory: (s: SmartInstance) => s, inject: [SMART] }], exports: ['probe'] })
    class Other {}
    const options = { issuers: [{ iss: 'https://ehr.example/fhir', clientId: 'a' }], session: { secret: SECRET } };
    const global = await Test.createTestingModule({ imports: [SmartModule.forRoot(options), Other] }).compile();
    expect(global.get('probe').routes.launch).toBe('/launch');
    expect(global.get(SMART_MODULE_OPTIONS)).toEqual(options);
    await expect(Test.createTestingModule({ imports: [SmartModule.forRoot({ ...options, isGlobal: false }), Other] }).compile()).rejects.toThrow(/SMART|dependencies/);
  });
});
