#!/usr/bin/env node
// Authenticated GET throughput through smart() vs bare Express, measured in the same run.
// Prints requests/s for each and the ratio (goal >= 0.90). Usage: pnpm bench [-- --seconds 10]
import { once } from 'node:events';
import autocannon from 'autocannon';
import express from 'express';
import { startSandbox } from '@smart-launch/sandbox';
import { smart, requireSmart } from '@smart-launch/express';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 8;
const connections = 50;
const rounds = 2;

async function listen(app) {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

const sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 3600 });

const bare = express();
bare.get('/api/ping', (_req, res) => res.json({ ok: true, patient: 'p1' }));

const withSmart = express();
withSmart.use(smart({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }], session: { secret: 'bench-secret-0123456789-0123456789-abc' } }));
withSmart.get('/api/ping', requireSmart(), (req, res) => res.json({ ok: true, patient: req.smart.patient }));

const a = await listen(bare);
const b = await listen(withSmart);

// Log in once (standalone launch, auto-approved) to get a session cookie.
const jar = new Map();
async function go(url, init = {}) {
  for (let i = 0; i < 20; i++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie } });
    for (const c of res.headers.getSetCookie()) {
      const [nv] = c.split(';');
      const i2 = nv.indexOf('=');
      if (/Max-Age=0/.test(c)) jar.delete(nv.slice(0, i2));
      else jar.set(nv.slice(0, i2), nv.slice(i2 + 1));
    }
    const loc = res.headers.get('location');
    if (loc) { url = new URL(loc, url).href; init = {}; await res.body?.cancel(); continue; }
    const html = await res.text();
    const form = /<form method="post" action="([^"]*)">(.*?)<\/form>/s.exec(html);
    if (form && /forms\[0\]\.submit/.test(html)) {
      const fields = [...form[2].matchAll(/name="([^"]*)" value="([^"]*)"/g)].map((m) => [m[1], m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"')]);
      url = new URL(form[1].replace(/&amp;/g, '&'), url).href;
      init = { method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      continue;
    }
    return res;
  }
}
await go(`${b.url}/launch`);
const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
const check = await fetch(`${b.url}/api/ping`, { headers: { cookie } });
if (check.status !== 200) throw new Error(`login failed: /api/ping answered ${check.status}`);

function run(url) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `${url}/api/ping`, connections, duration: seconds, headers: { cookie } }, (err, r) => (err ? reject(err) : resolve(r)));
  });
}

const results = { bare: [], smart: [] };
await run(a.url); // warm-up
await run(b.url);
for (let i = 0; i < rounds; i++) {
  // Alternate to spread any drift of the machine over both.
  const ra = await run(a.url);
  const rb = await run(b.url);
  if (rb.non2xx || ra.non2xx) throw new Error('non-2xx answers during the benchmark');
  results.bare.push(ra.requests.average);
  results.smart.push(rb.requests.average);
}
const avg = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const bareRps = avg(results.bare);
const smartRps = avg(results.smart);
console.log(`bare express        : ${bareRps.toFixed(0)} req/s`);
console.log(`express + smart()   : ${smartRps.toFixed(0)} req/s`);
console.log(`ratio smart/bare    : ${(smartRps / bareRps).toFixed(3)} (goal >= 0.90; ${connections} connections, ${rounds}x${seconds}s each)`);

a.server.close();
b.server.close();
await sandbox.stop();
process.exit(0);
