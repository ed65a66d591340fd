import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import express from 'express';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { smart } from '../src/index.js';
import { TestBrowser } from '../../../test/helpers/browser.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 61 });
});
afterAll(() => sandbox?.stop());

it('never logs a token, code, secret or assertion (login, refresh, errors, logout)', async () => {
  const lines: string[] = [];
  const log = (level: string) => (message: string, meta?: Record<string, unknown>) => lines.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`);
  const app = express();
  const seen: string[] = [];
  app.use(smart({
    issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-symmetric', clientSecret: 'demo-secret' }],
    session: { secret: 'logging-test-secret-0123456789abcdefgh' },
    logger: { debug: log('debug'), warn: log('warn'), error: log('error') },
  }));
  app.get('/t', (req, res) => {
    if (req.smart) seen.push(req.smart.accessToken);
    res.json({ ok: !!req.smart });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const b = new TestBrowser();
    await b.navigate(`${base}/launch?returnTo=%2Ft`);
    const code = b.hops.map((h) => new URL(h.url).searchParams.get('code')).find(Boolean)!;
    expect(code).toBeTruthy();
    await new Promise((r) => setTimeout(r, 1200));
    await b.fetch(`${base}/t`); // refresh (61 s token, 60 s skew)
    sandbox.fail({ kind: 'token_500' });
    await b.navigate(`${base}/launch`); // an error path
    await b.fetch(`${base}/logout`);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeGreaterThan(3);
    const all = lines.join('\n');
    for (const secret of [...seen, code, 'demo-secret']) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT (id_token, assertion)
  } finally {
    server.close();
  }
});
