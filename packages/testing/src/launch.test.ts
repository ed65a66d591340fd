import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmart, type Smart } from '@smart-launch/core';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { launch } from './launch.js';

/** A minimal app on core: the SMART routes, and `/` answering with the session's context as JSON. */
async function startApp(make: (base: string) => Smart): Promise<{ base: string; server: Server }> {
  let smart: Smart | undefined;
  const server = createServer((req, res) => void serve(req, res).catch((e: unknown) => {
    console.error(e);
    res.writeHead(500).end();
  }));
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = new Request(`${base}${req.url}`, { method: req.method, headers: req.headers as Record<string, string> });
    const answer = (await smart!.handle(request)) ?? (await page(request));
    const headers: Record<string, string | string[]> = Object.fromEntries([...answer.headers].filter(([k]) => k !== 'set-cookie'));
    if (answer.headers.getSetCookie().length) headers['set-cookie'] = answer.headers.getSetCookie();
    res.writeHead(answer.status, headers);
    res.end(Buffer.from(await answer.arrayBuffer()));
  }
  async function page(request: Request): Promise<Response> {
    const { context } = await smart!.session({ cookie: request.headers.get('cookie'), url: request.url });
    return Response.json(context ? { patient: context.patient, fhirUser: context.fhirUser, scope: context.scope } : null, { status: context ? 200 : 401 });
  }
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  smart = make(base);
  return { base, server };
}

let sandbox: Sandbox;
let base: string;
let postBase: string;
const servers: Server[] = [];
const session = { secret: 'testing-kit-launch-secret-0123456789abcdef' };

beforeAll(async () => {
  // Login and consent pages on: launch() answers them as a person would.
  sandbox = await startSandbox({ port: 0, quiet: true });
  const scope = 'launch launch/patient openid fhirUser offline_access patient/*.rs';
  const get = await startApp(() => createSmart({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public', authorizeMethod: 'GET' }], scope, session }));
  const post = await startApp(() => createSmart({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public', authorizeMethod: 'POST' }], scope, session }));
  servers.push(get.server, post.server);
  base = get.base;
  postBase = post.base;
});
afterAll(async () => {
  for (const s of servers) s.close();
  await sandbox?.stop();
});

describe('launch', () => {
  it('EHR launch from the sandbox: patient and user in context, the app page at the end', async () => {
    const r = await launch(`${base}/launch`, { ehr: sandbox, patient: 'p2', user: 'Practitioner/pr2' });
    expect(r.response.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ patient: 'p2', fhirUser: `${sandbox.fhirBaseUrl}/Practitioner/pr2` });
    expect(r.url).toMatch(new RegExp(`^${base}/(\\?|$)`));
    expect(r.cookie).toMatch(/^smart_session~/);
    // The cookie is the app's session: it works on its own.
    const again = await fetch(`${base}/`, { headers: { cookie: r.cookie } });
    expect(((await again.json()) as { patient?: string }).patient).toBe('p2');
  });

  it('authorize-POST: submits the app\'s self-posting form', async () => {
    const r = await launch(`${postBase}/launch`, { ehr: sandbox.origin, patient: 'p3' });
    expect(JSON.parse(r.body)).toMatchObject({ patient: 'p3' });
    expect(r.steps.some((s) => s.method === 'POST' && s.url.endsWith('/authorize'))).toBe(true);
  });

  it('standalone: signs in as the given user, picks the patient, unticks refused scopes', async () => {
    const r = await launch(`${base}/launch`, { user: 'pr1', patient: 'p4', refuseScopes: ['offline_access'] });
    const ctx = JSON.parse(r.body) as { patient: string; scope: string };
    expect(ctx.patient).toBe('p4');
    expect(ctx.scope.split(' ')).not.toContain('offline_access');
    expect(ctx.scope.split(' ')).toContain('patient/*.rs');
  });

  it('a patient signing in gets themselves in context', async () => {
    const r = await launch(`${base}/launch`, { user: 'Patient/p5' });
    expect(JSON.parse(r.body)).toMatchObject({ patient: 'p5', fhirUser: `${sandbox.fhirBaseUrl}/Patient/p5` });
  });

  it('deny: the app\'s error page, no session', async () => {
    const r = await launch(`${base}/launch`, { deny: true });
    expect(r.response.status).toBeGreaterThanOrEqual(400);
    expect(r.body).toContain('access_denied');
    expect(r.cookie).not.toContain('smart_session');
  });

  it('a login script answers pages of another server; the sandbox script handles the rest', async () => {
    const seen: string[] = [];
    const r = await launch(`${base}/launch`, {
      login: (page) => {
        seen.push(new URL(page.url).pathname);
        const form = page.forms.find((f) => f.action.endsWith('/login'));
        return form ? { action: form.action, fields: { user: 'Patient/p1' } } : undefined;
      },
    });
    expect(JSON.parse(r.body)).toMatchObject({ patient: 'p1' });
    expect(seen.length).toBe(2); // login, consent; never the app's own page
  });

  it('records no codes or states: steps carry origin and path only', async () => {
    const r = await launch(`${base}/launch`, { ehr: sandbox });
    expect(r.steps.length).toBeGreaterThan(3);
    for (const s of r.steps) expect(s.url).not.toMatch(/[?#]/);
  });

  it('refuses unknown sandbox users and patients with a clear error', async () => {
    await expect(launch(`${base}/launch`, { user: 'Practitioner/nobody' })).rejects.toThrow(/no user Practitioner\/nobody/);
    await expect(launch(`${base}/launch`, { patient: 'p999' })).rejects.toThrow(/no patient p999/);
  });
});
