// Child process: the Express apps of the suite, each on its own port, all with the same route
// GET /api/context answering the example's JSON. One core runs them while the parent loads them.
//   bare       Express alone (the baseline of every Express row and of the Express peers)
//   layers     Express with a no-op middleware and a no-op route guard (control for row 1)
//   smart      app.use(smart(config)) + requireSmart(), cookie sessions
//   redis      the same with sessions in Redis (RedisStore), for one or two instances
//   redisUntracked  the same with RedisStore({ tracking: false }): every request reads Redis
//   eoc        express-openid-connect: auth() + requiresAuth(), appSession cookie
//   iron       iron-session: getIronSession() per request
//   session    express-session with its memory store
// BENCH_ROLE=instance starts only bare + redis (the second instance behind the round-robin).
// Also here: a fake token endpoint that counts calls (refresh storm) and in-process measurements
// (cold-session CPU, memory per 10,000 sessions).
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';
import { smart, requireSmart } from '@smart-launch/express';
import { createSmart, RedisStore } from '@smart-launch/core';
import eoc from 'express-openid-connect';
import { getIronSession } from 'iron-session';
import session from 'express-session';

const { auth, requiresAuth } = eoc; // CommonJS
import { bareContext, SCOPE, SECRET, contextJson, listen, serve } from './ipc.mjs';

const role = process.env.BENCH_ROLE ?? 'main';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPrefix = process.env.BENCH_REDIS_PREFIX ?? `bench:${process.pid}:`;
const quiet = { warn: () => {}, error: (m) => console.error(m) };

// The fake authorization server: only the token endpoint is used (sessions are minted, and a
// refresh goes straight to the session's token endpoint).
let tokenCalls = 0;
let as;
let iss = process.env.BENCH_ISS;
if (!iss) {
  as = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/token') return res.writeHead(404).end();
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'refresh_token' || !form.get('refresh_token')) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_request"}');
        return;
      }
      tokenCalls++;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ access_token: randomBytes(600).toString('base64url'), token_type: 'Bearer', expires_in: 3600, scope: SCOPE, refresh_token: randomBytes(32).toString('base64url'), patient: 'bench-patient' }));
    });
  });
  iss = `${await listen(as.listen(0, '127.0.0.1'))}/fhir`;
}

// The bare apps' answer: the same JSON as the smart routes send for the suite's sessions.
const BARE_CONTEXT = bareContext(iss);
const config = (extra = {}) => ({ issuers: [{ iss, clientId: 'bench' }], session: { secret: SECRET }, logger: quiet, ...extra });
const servers = [];
const start = async (app) => {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  return listen(server);
};

const urls = {};
const bare = express();
bare.get('/api/context', (_req, res) => res.json(BARE_CONTEXT));
urls.bare = await start(bare);
// A control: the same route behind a no-op app.use() and a no-op route guard, the router layers
// `app.use(smart())` + `requireSmart()` add. What Express itself charges for any such middleware.
const layers = express();
layers.use((_req, _res, next) => next());
layers.get('/api/context', (_req, _res, next) => next(), (_req, res) => res.json(BARE_CONTEXT));
urls.layers = await start(layers);

const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
const redisStore = () => new RedisStore({ client: redis, prefix: redisPrefix });
const redisApp = express();
redisApp.use(smart(config({ session: { secret: SECRET, store: redisStore() } })));
redisApp.get('/api/context', requireSmart(), (req, res) => res.json(contextJson(req.smart)));
urls.redis = await start(redisApp);
// The same without RedisStore's invalidated cache (ADR 0015): every request reads Redis.
const redisUntrackedApp = express();
redisUntrackedApp.use(smart(config({ session: { secret: SECRET, store: new RedisStore({ client: redis, prefix: redisPrefix, tracking: false }) } })));
redisUntrackedApp.get('/api/context', requireSmart(), (req, res) => res.json(contextJson(req.smart)));
urls.redisUntracked = await start(redisUntrackedApp);

let smartMw;
if (role === 'main') {
  const app = express();
  smartMw = smart(config());
  app.use(smartMw);
  // The example's route, as users write it.
  app.get('/api/context', requireSmart(), (req, res) => res.json(contextJson(req.smart)));
  urls.smart = await start(app);

  // Peers. Each has a /bench-login route that creates a session the library's own way.
  const eocApp = express();
  eocApp.use(auth({ authRequired: false, auth0Logout: false, idpLogout: false, issuerBaseURL: 'https://bench.invalid', baseURL: 'https://127.0.0.1', clientID: 'bench', secret: SECRET, routes: { login: false, logout: false, callback: false } }));
  eocApp.get('/bench-login', (req, res) => {
    const now = Math.floor(Date.now() / 1000);
    // An unsigned JWT is enough: requiresAuth() only decodes the stored id_token's claims.
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const idToken = `${b64({ alg: 'none' })}.${b64({ iss: 'https://bench.invalid/', sub: 'bench-practitioner', aud: 'bench', iat: now, exp: now + 3600, fhirUser: BARE_CONTEXT.fhirUser })}.`;
    Object.assign(req.appSession, { id_token: idToken, access_token: randomBytes(600).toString('base64url'), refresh_token: randomBytes(32).toString('base64url'), token_type: 'Bearer', expires_at: now + 3600, scope: SCOPE, patient: 'bench-patient' });
    res.json({ ok: true });
  });
  eocApp.get('/api/context', requiresAuth(), (req, res) => {
    const s = req.appSession;
    res.json({ patient: s.patient ?? null, encounter: null, fhirUser: req.oidc.idTokenClaims.fhirUser ?? null, scope: s.scope, serverUrl: iss, expiresAt: s.expires_at ?? null });
  });
  urls.eoc = await start(eocApp);

  const ironOptions = { password: SECRET, cookieName: 'iron_session', cookieOptions: { secure: false } };
  const iron = express();
  iron.get('/bench-login', async (req, res) => {
    const s = await getIronSession(req, res, ironOptions);
    Object.assign(s, { accessToken: randomBytes(600).toString('base64url'), refreshToken: randomBytes(32).toString('base64url'), patient: 'bench-patient', fhirUser: BARE_CONTEXT.fhirUser, scope: SCOPE, expiresAt: Math.floor(Date.now() / 1000) + 3600 });
    await s.save();
    res.json({ ok: true });
  });
  iron.get('/api/context', async (req, res, next) => {
    try {
      const s = await getIronSession(req, res, ironOptions);
      if (!s.accessToken) return void res.status(401).json({ error: 'unauthorized' });
      res.json({ patient: s.patient ?? null, encounter: null, fhirUser: s.fhirUser ?? null, scope: s.scope, serverUrl: iss, expiresAt: s.expiresAt ?? null });
    } catch (e) {
      next(e);
    }
  });
  urls.iron = await start(iron);

  const es = express();
  es.use(session({ secret: SECRET, resave: false, saveUninitialized: false, cookie: { httpOnly: true } }));
  es.get('/bench-login', (req, res) => {
    req.session.smart = { accessToken: randomBytes(600).toString('base64url'), refreshToken: randomBytes(32).toString('base64url'), patient: 'bench-patient', fhirUser: BARE_CONTEXT.fhirUser, scope: SCOPE, expiresAt: Math.floor(Date.now() / 1000) + 3600 };
    res.json({ ok: true });
  });
  es.get('/api/context', (req, res) => {
    const s = req.session.smart;
    if (!s) return void res.status(401).json({ error: 'unauthorized' });
    res.json({ patient: s.patient ?? null, encounter: null, fhirUser: s.fhirUser ?? null, scope: s.scope, serverUrl: iss, expiresAt: s.expiresAt ?? null });
  });
  urls.session = await start(es);
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const sorted = (xs) => Float64Array.from(xs).sort();
const at = (s, p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];

serve({ iss, urls, redisPrefix }, {
  tokenCalls: () => tokenCalls,
  resetTokenCalls: () => (tokenCalls = 0),
  /**
   * Cold cost: each cookie's first session() in this process (unseal + checks) minus its second
   * (the cached path), timed one at a time so nothing else shares the core.
   */
  async cold(cookies) {
    const s = smartMw.smart;
    const url = `${urls.smart}/api/context`;
    const cold = [];
    const warm = [];
    for (const cookie of cookies) {
      let t0 = process.hrtime.bigint();
      const a = await s.session({ cookie, url });
      cold.push(ms(t0));
      t0 = process.hrtime.bigint();
      const b = await s.session({ cookie, url });
      warm.push(ms(t0));
      if (!a.context || !b.context) throw new Error('a minted session did not load');
    }
    const c = sorted(cold);
    const w = sorted(warm);
    return { coldP50: at(c, 0.5), coldP99: at(c, 0.99), warmP50: at(w, 0.5), warmP99: at(w, 0.99), addedP50: at(c, 0.5) - at(w, 0.5), addedP99: at(c, 0.99) - at(w, 0.99) };
  },
  /**
   * Heap and RSS a fresh instance holds after `cookies.length` distinct sessions were used once
   * each (cookie mode: the verified-session cache; store mode: the sealed-id cache).
   */
  async memory(mode, cookies) {
    const gc = globalThis.gc;
    if (!gc) throw new Error('run with --expose-gc');
    const cfg = mode === 'store' ? config({ session: { secret: SECRET, store: redisStore() } }) : config();
    gc();
    gc();
    const before = process.memoryUsage();
    const instance = createSmart(cfg);
    const url = `${urls.bare}/api/context`;
    for (const cookie of cookies) {
      const r = await instance.session({ cookie, url });
      if (!r.context) throw new Error(`a minted ${mode} session did not load`);
    }
    globalThis.benchKeep = instance; // still reachable when measured
    gc();
    const after = process.memoryUsage();
    const r = { heapMB: (after.heapUsed - before.heapUsed) / 2 ** 20, rssMB: (after.rss - before.rss) / 2 ** 20, sessions: cookies.length };
    globalThis.benchKeep = undefined;
    return r;
  },
}, async () => {
  for (const s of servers) s.closeAllConnections?.(), s.close();
  as?.closeAllConnections?.();
  as?.close();
  await redis.quit().catch(() => {});
});
