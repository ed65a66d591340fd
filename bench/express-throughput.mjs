#!/usr/bin/env node
// Authenticated GET throughput through smart() vs bare Express, measured in the same run.
// The apps run in a child process (one core), autocannon here (the other core); the two apps are
// measured alternately, several rounds, and the median ratio is printed (goal >= 0.90).
// Usage: pnpm bench [-- --seconds 10 --rounds 3]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';

const arg = (name, def) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : def);
const seconds = arg('--seconds', 10);
const rounds = arg('--rounds', 3);
const connections = 50;

const child = fork(new URL('./servers.mjs', import.meta.url), { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const [line] = await new Promise((resolve) => child.stdout.once('data', (d) => resolve([d.toString()])));
const urls = JSON.parse(line.trim().split('\n').pop());

// Log in once (standalone launch, auto-approved) to get a session cookie.
const jar = new Map();
async function go(url, init = {}) {
  for (let i = 0; i < 20; i++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie } });
    for (const c of res.headers.getSetCookie()) {
      const [nv] = c.split(';');
      const j = nv.indexOf('=');
      if (/Max-Age=0/.test(c)) jar.delete(nv.slice(0, j));
      else jar.set(nv.slice(0, j), nv.slice(j + 1));
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
await go(`${urls.smart}/launch`);
const cookie = [...jar].filter(([k]) => k.startsWith('smart_session') && !k.includes('_tx_')).map(([k, v]) => `${k}=${v}`).join('; ');
const check = await fetch(`${urls.smart}/api/ping`, { headers: { cookie } });
if (check.status !== 200) throw new Error(`login failed: /api/ping answered ${check.status}`);

function run(url, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `${url}/api/ping`, connections, duration, headers: { cookie } }, (err, r) => (err ? reject(err) : resolve(r)));
  });
}

await run(urls.bare, 2); // warm-up (JIT) for both
await run(urls.smart, 2);
const ratios = [];
const bare = [];
const smartRps = [];
for (let i = 0; i < rounds; i++) {
  const a = await run(urls.bare, seconds);
  const b = await run(urls.smart, seconds);
  if (a.non2xx || b.non2xx) throw new Error('non-2xx answers during the benchmark');
  bare.push(a.requests.average);
  smartRps.push(b.requests.average);
  ratios.push(b.requests.average / a.requests.average);
  console.log(`round ${i + 1}: bare ${a.requests.average.toFixed(0)} req/s, smart() ${b.requests.average.toFixed(0)} req/s, ratio ${(b.requests.average / a.requests.average).toFixed(3)}`);
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(`bare express        : ${median(bare).toFixed(0)} req/s (median)`);
console.log(`express + smart()   : ${median(smartRps).toFixed(0)} req/s (median)`);
console.log(`ratio smart/bare    : ${median(ratios).toFixed(3)} median of ${rounds} (goal >= 0.90; ${connections} connections, ${seconds}s runs, apps in a child process)`);
child.send('stop');
await once(child, 'exit');
