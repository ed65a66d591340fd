/**
 * The origin-policy cases every adapter must pass (core `appOrigin`, docs/adr/0011): the app's
 * origin is the connection's scheme + Host; `Forwarded` / `X-Forwarded-*` count only with
 * `trustProxy: true`. Observed where it matters: the redirect_uri of a launch and the logout
 * Origin check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The adapters' own tsconfigs type-check this file too: core's types by path, the sandbox passed in.
import type { SmartConfig } from '../../packages/core/src/index.js';

/** The sandbox EHR (`startSandbox` of @smart-launch/sandbox), as the caller resolves it. */
export interface OriginSandbox {
  fhirBaseUrl: string;
  stop(): Promise<void>;
}

export interface OriginApp {
  /** The origin a direct request reaches the app at (`http://127.0.0.1:<port>`). */
  origin: string;
  /** Sends a request to the app (path + query). */
  request(path: string, init?: { method?: string; headers?: Record<string, string> }): Promise<Response>;
  stop(): Promise<void>;
}

export function originPolicySuite(name: string, startSandbox: (o: { port: number; quiet: boolean }) => Promise<OriginSandbox>, start: (config: SmartConfig) => Promise<OriginApp>): void {
  describe(`origin policy: ${name}`, () => {
    let sandbox: OriginSandbox;
    const apps: OriginApp[] = [];
    const launch = async (trustProxy: boolean) => {
      const app = await start({
        issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public', authorizeMethod: 'GET' }],
        scope: 'launch/patient openid fhirUser patient/*.rs',
        session: { secret: 'origin-policy-test-secret-0123456789abcdef' },
        trustProxy,
      });
      apps.push(app);
      return app;
    };
    const redirectUri = async (app: OriginApp, headers: Record<string, string> = {}) => {
      const res = await app.request('/launch', { headers });
      expect(res.status).toBe(302);
      return new URL(res.headers.get('location')!).searchParams.get('redirect_uri');
    };
    const logout = (app: OriginApp, origin: string, headers: Record<string, string> = {}) =>
      app.request('/logout', { method: 'POST', headers: { origin, 'sec-fetch-site': 'same-origin', ...headers } });

    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0, quiet: true });
    });
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.stop()));
      await sandbox?.stop();
    });

    it('direct: the connection scheme and the Host header', async () => {
      const app = await launch(false);
      expect(await redirectUri(app)).toBe(`${app.origin}/callback`);
      expect((await logout(app, app.origin)).status).toBe(302);
    });

    it('behind a TLS proxy with trustProxy: X-Forwarded-Proto/Host and Forwarded (RFC 7239) give the public origin', async () => {
      const app = await launch(true);
      const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' };
      expect(await redirectUri(app, forwarded)).toBe('https://app.example.com/callback');
      expect(await redirectUri(app, { forwarded: 'for=192.0.2.1;proto=https;host="rfc.example.com"' })).toBe('https://rfc.example.com/callback');
      // The same-site logout POST from the public origin is accepted (it was a 403 in one adapter).
      expect((await logout(app, 'https://app.example.com', forwarded)).status).toBe(302);
    });

    it('without trustProxy: a spoofed X-Forwarded-Proto/Host or Forwarded changes nothing', async () => {
      const app = await launch(false);
      const spoofed = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', forwarded: 'proto=https;host=evil.example' };
      expect(await redirectUri(app, spoofed)).toBe(`${app.origin}/callback`);
      expect((await logout(app, 'https://evil.example', spoofed)).status).toBe(403);
    });
  });
}
