#!/usr/bin/env node
// The smart-launch benchmark suite: every adapter against the same framework without
// smart-launch, the peers beside it, in one run, one table. See bench/README.md.
//   node bench/suite.mjs                 full run (a few minutes; run it on a quiet machine)
//   node bench/suite.mjs --smoke         every row, tiny sizes (CI: proves the suite still runs)
//   options: --seconds N --rounds N --connections N --only 1,5,7 --json out.json
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { RedisStore } from '@smart-launch/core';
import { compare, machineNote, startChild } from './lib/harness.mjs';
import { roundRobin } from './lib/rr-proxy.mjs';
import { minter, mintMany } from './lib/sessions.mjs';
import { storm } from './lib/storm.mjs';
import { SCOPE, SECRET } from './shape.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, def) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : def);
const smoke = flag('--smoke');
const only = opt('--only', '') ? new Set(opt('--only').split(',').map(Number)) : null;
const wants = (row) => !only || only.has(row);

// Sizes: the issue's figures for a full run; a few of each in smoke mode.
const S = smoke
  ? { amount: 300, seconds: 0, warm: 0, rounds: 1, sessions: 100, beyond: 200, cold: 50, storeSessions: 50, stormSessions: 5, perSession: 20, window: 100, memory: 100 }
  : { seconds: 1.5, warm: 2, rounds: 15, sessions: 10_000, beyond: 50_000, cold: 2_000, storeSessions: 1_000, stormSessions: 1_000, perSession: 100, window: 500, memory: 10_000 };
const load = { seconds: Number(opt('--seconds', S.seconds)), rounds: Number(opt('--rounds', S.rounds)), connections: Number(opt('--connections', 50)), warm: S.warm, amount: S.amount };

const rows = [];
const children = [];
const log = (m) => console.error(`[bench] ${m}`);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPrefix = `bench:${process.pid}:${Date.now()}:`;
let redis;

function row(id, name, goal, result, extra = {}) {
  const r = { id, name, goal, ...result, ...extra };
  rows.push(r);
  log(`${id} ${name}: ${r.ratio !== undefined ? `ratio ${r.ratio.toFixed(3)}` : JSON.stringify(result)}`);
  return r;
}

async function child(module, options) {
  const c = await startChild(module, options);
  children.push(c);
  return c;
}

async function stop(c) {
  children.splice(children.indexOf(c), 1);
  await c.stop();
}

/** A session the library's own way: GET /bench-login on a peer app, its Set-Cookie as a Cookie header. */
async function peerLogin(url) {
  const res = await fetch(url, { redirect: 'manual' });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  await res.arrayBuffer();
  const cookie = res.headers.getSetCookie().map((c) => c.slice(0, c.indexOf(';'))).join('; ');
  if (!cookie) throw new Error(`${url} set no cookie`);
  return cookie;
}

async function main() {
  const note = await machineNote();
  log(`${smoke ? 'smoke' : 'full'} run: ${load.amount ? `${load.amount} requests` : `${load.seconds}s`} x ${load.rounds} rounds, ${load.connections} connections; ${note}`);
  const started = Date.now();

  // One child for every Express app (and the fake token endpoint).
  const ex = await child('express.mjs', { env: { BENCH_REDIS_PREFIX: redisPrefix } });
  const { iss, urls } = ex.info;
  const mint = minter({ iss, secret: SECRET, scope: SCOPE });
  // A load target; `cpu` reads the CPU time of the process(es) serving it.
  const cpuOf = (...cs) => async () => (await Promise.all(cs.map((c) => c.call('cpu')))).reduce((a, b) => a + b, 0);
  const target = (url, cookies, cpu = cpuOf(ex)) => ({ url: `${url}/api/context`, cookies, cpu });
  const bare = target(urls.bare);
  const one = await mint();
  // Memory is measured in a fresh process (earlier rows' garbage would blur heap and RSS).
  const memory = async (mode, cookies) => {
    const fresh = await child('express.mjs', { execArgv: ['--expose-gc'], env: { BENCH_ROLE: 'instance', BENCH_ISS: iss, BENCH_REDIS_PREFIX: redisPrefix } });
    try {
      return await fresh.call('memory', mode, cookies);
    } finally {
      await stop(fresh);
    }
  };

  if (wants(1)) {
    row(1, 'Express: requireSmart() + JSON of the context', '>= 0.95', await compare(bare, target(urls.smart, one), load));
    // How much of row 1 is Express's own price for two more middleware layers.
    row('1c', 'Control: Express + no-op app.use() + no-op route guard (no smart-launch)', 'printed', await compare(bare, target(urls.layers, one), load));
  }

  if (wants(2) || wants(9)) {
    const many = await mintMany(mint, S.sessions);
    if (wants(2)) {
      row('2a', `Express: ${S.sessions.toLocaleString('en')} distinct sessions cycled`, '>= 0.90', await compare(bare, target(urls.smart, many), load));
      const beyond = await mintMany(mint, S.beyond);
      // Cycling more sessions than the unseal cache holds: most requests pay the cold path.
      row('2b', `Express: ${S.beyond.toLocaleString('en')} sessions cycled (beyond the unseal cache)`, 'printed', await compare(bare, target(urls.smart, beyond), load));
    }
    if (wants(9)) row('9a', `Memory per ${S.memory.toLocaleString('en')} active sessions, cookie mode (caches)`, 'printed', await memory('cookie', await mintMany(mint, S.memory)), { per10k: true });
  }

  if (wants(3)) row(3, 'Cold session: added time of the first request of a session (p50/p99 ms)', 'p50 <= 0.3 ms', await ex.call('cold', await mintMany(mint, S.cold)));

  if (wants(4) || wants(9)) {
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const mintStore = minter({ iss, secret: SECRET, scope: SCOPE, store: new RedisStore({ client: redis, prefix: redisPrefix }) });
    if (wants(4)) {
      const stored = await mintMany(mintStore, S.storeSessions);
      row('4a', `Redis store, one instance (${S.storeSessions.toLocaleString('en')} sessions)`, '>= 0.85', await compare(bare, target(urls.redis, stored), load));
      const second = await child('express.mjs', { env: { BENCH_ROLE: 'instance', BENCH_ISS: iss, BENCH_REDIS_PREFIX: redisPrefix } });
      const bareRR = await roundRobin([urls.bare, second.info.urls.bare]);
      const redisRR = await roundRobin([urls.redis, second.info.urls.redis]);
      const untrackedRR = await roundRobin([urls.redisUntracked, second.info.urls.redisUntracked]);
      try {
        row('4b', 'Redis store, two instances behind a round-robin', '>= 0.85', await compare(target(bareRR.url, undefined, cpuOf(ex, second)), target(redisRR.url, stored, cpuOf(ex, second)), load));
        // RedisStore({ tracking: false }) (ADR 0015): a Redis round trip on every request.
        row('4c', 'Redis store, tracking: false (every request reads Redis), one instance', 'printed', await compare(bare, target(urls.redisUntracked, stored), load));
        row('4d', 'Redis store, tracking: false, two instances behind a round-robin', 'printed', await compare(target(bareRR.url, undefined, cpuOf(ex, second)), target(untrackedRR.url, stored, cpuOf(ex, second)), load));
      } finally {
        await bareRR.close();
        await redisRR.close();
        await untrackedRR.close();
        await stop(second);
      }
    }
    if (wants(9)) row('9b', `Memory per ${S.memory.toLocaleString('en')} active sessions, Redis store mode`, 'printed', await memory('store', await mintMany(mintStore, S.memory)), { per10k: true });
  }

  if (wants(7)) {
    row('7a', 'Peer: express-openid-connect requiresAuth() (appSession cookie)', 'printed', await compare(bare, target(urls.eoc, await peerLogin(`${urls.eoc}/bench-login`)), load));
    row('7b', 'Peer: iron-session getIronSession() per request', 'printed', await compare(bare, target(urls.iron, await peerLogin(`${urls.iron}/bench-login`)), load));
    row('7c', 'Peer: express-session, memory store', 'printed', await compare(bare, target(urls.session, await peerLogin(`${urls.session}/bench-login`)), load));
  }

  if (wants(8)) {
    const expired = await mintMany(mint, S.stormSessions, { expiresIn: -10 });
    await ex.call('resetTokenCalls');
    const r = await storm(`${urls.smart}/api/context`, expired, { perSession: S.perSession, window: S.window });
    const tokenCalls = await ex.call('tokenCalls');
    row(8, `Refresh storm: ${S.stormSessions.toLocaleString('en')} expired sessions x ${S.perSession} concurrent requests`, `${S.stormSessions} token calls, 0 errors`, { ...r, tokenCalls, expectedTokenCalls: S.stormSessions, pass: tokenCalls === S.stormSessions && r.errors === 0 });
  }

  if (wants(5) || wants(7)) {
    const next = await child('next.mjs', { env: { BENCH_ISS: iss } });
    const u = next.info.urls.base;
    try {
      const cpu = cpuOf(next);
      const nextBare = { url: `${u}/api/bare`, cpu };
      if (wants(5)) {
        row('5a', 'Next.js route handler + getSmart() (next start)', '>= 0.95', await compare(nextBare, { url: `${u}/api/smart`, cookies: one, cpu }, load));
        // The same handler behind the proxy vs without it: what the proxy adds per request.
        row('5b', 'Next.js proxy (smartProxy) in front of the same handler', 'printed', await compare({ url: `${u}/api/smart`, cookies: one, cpu }, { url: `${u}/p/smart`, cookies: one, cpu }, load));
      }
      if (wants(7)) row('7d', 'Peer: nextjs-auth0 v4 getSession() (next start)', 'printed', await compare(nextBare, { url: `${u}/api/auth0`, cookies: await peerLogin(`${u}/bench-login-auth0`), cpu }, load));
    } finally {
      await stop(next);
    }
  }

  if (wants(6)) {
    for (const [id, control, platform] of [['6a', '6c', 'express'], ['6b', '6d', 'fastify']]) {
      const nest = await child('nest.mjs', { args: [platform], env: { BENCH_ISS: iss } });
      try {
        const n = nest.info.urls;
        const name = platform === 'express' ? 'Express' : 'Fastify';
        row(id, `NestJS (${name}) + global SmartGuard + @Smart()`, '>= 0.95', await compare(target(n.bare, undefined, cpuOf(nest)), target(n.smart, one, cpuOf(nest)), load));
        // How much of it is Nest's own price for that shape (a middleware on every path, a global
        // guard, a parameter decorator), each doing nothing: the same question as row 1c.
        row(control, `Control: NestJS (${name}) + no-op middleware + no-op global guard + no-op param decorator (no smart-launch)`, 'printed', await compare(target(n.bare, undefined, cpuOf(nest)), target(n.control, one, cpuOf(nest)), load));
      } finally {
        await stop(nest);
      }
    }
  }

  await stop(ex);
  print(note, (Date.now() - started) / 1000);
  const out = opt('--json', '');
  if (out) writeFileSync(out, JSON.stringify({ smoke, load, note, rows }, null, 2));
}

const f = (x, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');
const signed = (x) => `${x >= 0 ? '+' : ''}${f(x, 1)}`;
const sorted = (xs) => [...xs].sort((a, b) => String(a.id).localeCompare(String(b.id), 'en', { numeric: true }));

function print(note, seconds) {
  const lines = [];
  lines.push(`smart-launch bench (${smoke ? 'SMOKE: sizes too small for real figures' : 'full'}) — ${note}; ${load.amount ? `${load.amount} requests` : `${load.seconds}s`} x ${load.rounds} rounds alternated, ${load.connections} connections, medians; ${seconds.toFixed(0)}s`);
  lines.push('');
  lines.push('| row | case | goal | ratio | CPU ratio | added CPU µs/req | added p50 ms | added p99 ms | ours req/s | base req/s |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of sorted(rows)) {
    if (r.ratio !== undefined) {
      lines.push(`| ${r.id} | ${r.name} | ${r.goal} | ${f(r.ratio)} | ${f(r.cpuRatio)} | ${f(r.addedCpuUs, 1)} | ${f(r.addedP50)} | ${f(r.addedP99)} | ${f(r.oursRps, 0)} | ${f(r.baseRps, 0)} |`);
    } else if (r.id === 3) {
      lines.push(`| 3 | ${r.name} | ${r.goal} | - | - | - | ${f(r.addedP50)} | ${f(r.addedP99)} | - | - |`);
    } else if (r.id === 8) {
      lines.push(`| 8 | ${r.name} | ${r.goal} | ${r.pass ? 'PASS' : 'FAIL'}: ${r.tokenCalls} token calls, ${r.errors} errors / ${r.requests} | - | - | ${f(r.p50)} (total) | ${f(r.p99)} (total) | ${f(r.requests / r.seconds, 0)} | - |`);
    } else if (r.per10k) {
      const k = 10_000 / r.sessions;
      lines.push(`| ${r.id} | ${r.name} | ${r.goal} | heap ${signed(r.heapMB * k)} MB, RSS ${signed(r.rssMB * k)} MB per 10,000 | - | - | - | - | - | - |`);
    }
  }
  console.log(lines.join('\n'));
}

main().then(
  () => cleanup(0),
  (e) => {
    console.error(`[bench] failed: ${e?.stack ?? e}`);
    return cleanup(1);
  },
);

async function cleanup(code) {
  for (const c of [...children]) await c.stop().catch(() => {});
  if (redis) {
    // Only this run's keys.
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }
  process.exit(code);
}
