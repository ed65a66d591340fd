import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, type ExecutionContext } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { Test } from '@nestjs/testing';
import { createSmart, SessionError, ErrorCode, type SmartContext } from '@smart-launch/core';
import { parseScopes } from '@smart-launch/core/fhir';
import { beforeAll, describe, expect, it } from 'vitest';
import { Public } from './decorators/public.decorator.js';
import { RequireScopes } from './decorators/require-scopes.decorator.js';
import { SMART } from './smart.constants.js';
import { SmartHttpException } from './smart.exceptions.js';
import { SmartGuard } from './smart.guard.js';

@Controller()
class Routes {
  @Get() plain() {}
  @Get() @Public() open() {}
  @Get() @RequireScopes('patient/Observation.rs') observations() {}
  @Get() @RequireScopes('patient/Observation.cu', 'patient/Patient.rs') write() {}
}

@Controller()
@Public()
class PublicRoutes {
  @Get() any() {}
}

@Controller()
@RequireScopes('patient/Condition.rs')
class ScopedRoutes {
  @Get() more() {}
  @Get() @RequireScopes('patient/Observation.rs') both() {}
}

// One handler, inherited by two controllers with different class-level rules.
class BaseRoutes {
  @Get() shared() {}
}
@Controller()
@Public()
class OpenChild extends BaseRoutes {}
@Controller()
@RequireScopes('patient/Condition.rs')
class ScopedChild extends BaseRoutes {}

const smart = createSmart({ issuers: [{ iss: 'https://ehr.example/fhir', clientId: 'app' }], session: { secret: 'x'.repeat(32) }, routes: { launch: '/smart/launch' } });

function session(scope: string): SmartContext {
  return { scope, scopes: parseScopes(scope), patient: 'p1' } as unknown as SmartContext;
}

function call(guard: SmartGuard, cls: object, method: string, req: Partial<IncomingMessage> & Record<string, unknown>, platform: 'express' | 'fastify' = 'express') {
  const headers: Record<string, unknown> = {};
  const raw = { headersSent: false, setHeader: (k: string, v: unknown) => void (headers[k.toLowerCase()] = v) } as unknown as ServerResponse;
  const rawReq = { headers: {}, url: '/', ...req } as IncomingMessage;
  // Fastify hands guards its own Request/Reply, with the Node objects on `.raw`.
  const args = platform === 'fastify' ? [{ raw: rawReq, headers: rawReq.headers }, { raw }] : [rawReq, raw];
  const ctx = new ExecutionContextHost(args, cls as never, (cls as { prototype: Record<string, () => void> }).prototype[method]!);
  ctx.setType('http');
  let result: boolean | undefined;
  let error: unknown;
  try {
    result = guard.canActivate(ctx as ExecutionContext);
  } catch (e) {
    error = e;
  }
  return { result, error, headers };
}

describe('SmartGuard', () => {
  let guard: SmartGuard;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ providers: [SmartGuard, { provide: SMART, useValue: smart }] }).compile();
    guard = moduleRef.get(SmartGuard);
  });

  describe.each(['express', 'fastify'] as const)('on %s request objects', (platform) => {
    it('lets a request with a session through', () => {
      expect(call(guard, Routes, 'plain', { smart: session('launch patient/*.rs') }, platform).result).toBe(true);
    });

    it('API request without a session: 401 JSON with WWW-Authenticate', () => {
      const { error, headers } = call(guard, Routes, 'plain', { url: '/api/x', headers: { accept: 'application/json' }, smart: null }, platform);
      expect(error).toBeInstanceOf(SmartHttpException);
      const e = error as SmartHttpException;
      expect(e.getStatus()).toBe(401);
      expect(e.getResponse()).toEqual({ error: 'not_authenticated', message: expect.any(String) });
      expect(headers['www-authenticate']).toBe('Bearer');
    });

    it('browser request without a session: 302 to the configured launch route, coming back here', () => {
      const { error, headers } = call(guard, Routes, 'plain', { url: '/chart?tab=1', headers: { accept: 'text/html,*/*' } }, platform);
      expect(error).toBeInstanceOf(SmartHttpException);
      expect((error as SmartHttpException).getStatus()).toBe(302);
      expect(headers.location).toBe('/smart/launch?returnTo=%2Fchart%3Ftab%3D1');
    });

    it('/api/ paths and XHR get JSON even when they accept HTML', () => {
      expect(call(guard, Routes, 'plain', { url: '/api/x', headers: { accept: 'text/html' } }, platform).error).toBeInstanceOf(SmartHttpException);
      expect(call(guard, Routes, 'plain', { url: '/x', headers: { accept: 'text/html', 'x-requested-with': 'XMLHttpRequest' } }, platform).error).toBeInstanceOf(SmartHttpException);
    });

    it('an expired session answers with its error code; a store outage keeps its 5xx', () => {
      const expired = call(guard, Routes, 'plain', { headers: { accept: 'application/json' }, smartError: new SessionError(ErrorCode.SESSION_EXPIRED, 'The session has expired', { status: 401 }) }, platform);
      expect((expired.error as SmartHttpException).getResponse()).toMatchObject({ error: 'session_expired' });
      const down = call(guard, Routes, 'plain', { headers: { accept: 'application/json' }, smartError: new SessionError(ErrorCode.SESSION_STORE_UNAVAILABLE, 'The session store is unavailable', { status: 503 }) }, platform);
      expect((down.error as SmartHttpException).getStatus()).toBe(503);
    });

    it('@Public() on a route or a controller skips the check', () => {
      expect(call(guard, Routes, 'open', {}, platform).result).toBe(true);
      expect(call(guard, PublicRoutes, 'any', {}, platform).result).toBe(true);
    });

    it('@RequireScopes(): covered scopes pass (v2 .rs and v1 .read alike)', () => {
      expect(call(guard, Routes, 'observations', { smart: session('patient/*.rs') }, platform).result).toBe(true);
      expect(call(guard, Routes, 'observations', { smart: session('patient/Observation.read') }, platform).result).toBe(true);
    });

    it('@RequireScopes(): 403 listing only the missing scopes', () => {
      const { error, headers } = call(guard, Routes, 'write', { smart: session('patient/*.rs') }, platform);
      expect(error).toBeInstanceOf(SmartHttpException);
      const e = error as SmartHttpException;
      expect(e.getStatus()).toBe(403);
      expect(e.getResponse()).toEqual({ error: 'insufficient_scope', message: expect.any(String), missing: ['patient/Observation.cu'] });
      expect(headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="patient/Observation.cu"');
    });

    it('@RequireScopes() on the controller and on the route add up', () => {
      expect(call(guard, ScopedRoutes, 'more', { smart: session('patient/Condition.rs') }, platform).result).toBe(true);
      const { error } = call(guard, ScopedRoutes, 'both', { smart: session('patient/Condition.rs') }, platform);
      expect((error as SmartHttpException).missing).toEqual(['patient/Observation.rs']);
      const both = call(guard, ScopedRoutes, 'both', { smart: session('patient/Observation.rs') }, platform);
      expect((both.error as SmartHttpException).missing).toEqual(['patient/Condition.rs']);
    });
  });

  it('rules are read once per controller and handler: an inherited handler keeps each class its own rules', () => {
    const shared = BaseRoutes.prototype.shared;
    const run = (cls: object, smartCtx: SmartContext | undefined) => {
      const ctx = new ExecutionContextHost([{ headers: { accept: 'application/json' }, url: '/api/x', smart: smartCtx }, { headersSent: false, setHeader() {} }], cls as never, shared);
      ctx.setType('http');
      try {
        return guard.canActivate(ctx as ExecutionContext);
      } catch (e) {
        return (e as SmartHttpException).getStatus();
      }
    };
    for (let i = 0; i < 2; i++) {
      expect(run(OpenChild, undefined)).toBe(true);
      expect(run(ScopedChild, undefined)).toBe(401);
      expect(run(ScopedChild, session('patient/Observation.rs'))).toBe(403);
      expect(run(ScopedChild, session('patient/Condition.rs'))).toBe(true);
    }
  });

  it('fails closed outside HTTP (RPC, WebSocket)', () => {
    const ctx = new ExecutionContextHost([{ smart: session('patient/*.rs') }], Routes, Routes.prototype.plain);
    ctx.setType('rpc');
    expect(guard.canActivate(ctx)).toBe(false);
  });

  it('@RequireScopes() refuses an empty list at decoration time', () => {
    expect(() => RequireScopes()).toThrow(/at least one/);
    expect(() => RequireScopes('patient/*.rs', ' ')).toThrow(/at least one/);
  });
});
