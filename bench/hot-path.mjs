#!/usr/bin/env node
// CPU per request of smart-launch's own code on the Express hot path, in process (no sockets):
// the middleware (session lookup from the Cookie header), requireSmart() and the JSON of the
// context, against the same JSON without them. Best of several runs, so a busy machine changes
// little; use it to compare a hot-path change before/after (the suite measures from outside).
//   node bench/hot-path.mjs [--iterations 200000] [--sessions 1]
import { requireSmart, smart } from '@smart-launch/express';
import { minter, mintMany } from './lib/sessions.mjs';
import { bareContext, SCOPE, SECRET, contextJson } from './shape.mjs';

const arg = (name, def) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : def);
const iterations = arg('--iterations', 200_000);
const sessions = arg('--sessions', 1);
const iss = 'http://127.0.0.1:9/fhir';
const quiet = { warn: () => {}, error: () => {} };
const mw = smart({ issuers: [{ iss, clientId: 'bench' }], session: { secret: SECRET }, logger: quiet });
const guard = requireSmart();
const cookies = await mintMany(minter({ iss, secret: SECRET, scope: SCOPE }), sessions);

const socket = { encrypted: false };
function request(cookie) {
  return { method: 'GET', url: '/api/context', originalUrl: '/api/context', path: '/api/context', socket, headers: { host: '127.0.0.1:3000', accept: 'application/json', 'user-agent': 'bench', cookie } };
}
const res = { headersSent: false, statusCode: 200, setHeader() {}, getHeader() {}, end() {} };
let sink = 0;
const noop = () => {};

// Verify once, and fill the caches.
for (const c of cookies) {
  const req = request(c);
  await new Promise((resolve, reject) => mw(req, res, (e) => (e ? reject(e) : resolve())));
  if (!req.smart) throw new Error('a minted session did not load');
}

function runSmart(n) {
  for (let i = 0; i < n; i++) {
    const req = request(cookies[i % cookies.length]);
    let passed = false;
    mw(req, res, () => {
      guard(req, res, () => (passed = true));
    });
    if (!passed) throw new Error('not on the synchronous hot path');
    sink += JSON.stringify(contextJson(req.smart)).length;
  }
}
function runBare(n) {
  for (let i = 0; i < n; i++) {
    const req = request(cookies[i % cookies.length]);
    noop(req);
    sink += JSON.stringify(bareContext(iss)).length;
  }
}
function time(fn) {
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const t0 = process.cpuUsage();
    fn(iterations);
    const t = process.cpuUsage(t0);
    best = Math.min(best, (t.user + t.system) / iterations);
  }
  return best; // µs per request
}
time(runSmart);
time(runBare);
const s = time(runSmart);
const b = time(runBare);
console.log(`smart-launch hot path: ${(s - b).toFixed(2)} µs/request added (with ${s.toFixed(2)}, without ${b.toFixed(2)}; ${sessions} session(s), best of 7 x ${iterations})`);
if (sink < 0) console.log(sink);
