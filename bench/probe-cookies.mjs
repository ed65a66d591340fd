// Probe: is row 2a's gap the load generator (distinct cookies per request) or the app?
import { compare, startChild } from './lib/harness.mjs';
import { minter, mintMany } from './lib/sessions.mjs';
import { SCOPE, SECRET } from './shape.mjs';
const ex = await startChild('express.mjs', { env: { BENCH_REDIS_PREFIX: 'probe:' } });
const { iss, urls } = ex.info;
const mint = minter({ iss, secret: SECRET, scope: SCOPE });
const cpu = async () => ex.call('cpu');
const t = (url, cookies) => ({ url: `${url}/api/context`, cookies, cpu });
const one = await mint();
const many = await mintMany(mint, 10_000);
const oneArr = [one]; // same cookie, but through setupRequest like "many"
const o = { seconds: 1.5, rounds: 9, connections: 50, warm: 2 };
const show = (n, r) => console.log(n, 'ratio', r.ratio.toFixed(3), 'cpuRatio', r.cpuRatio?.toFixed(3), 'rps', Math.round(r.baseRps), Math.round(r.oursRps), 'cpuUs base', r.baseCpuUs?.toFixed(1));
show('bare: arr1 vs many', await compare(t(urls.bare, oneArr), t(urls.bare, many), o));
show('bare: one vs arr1', await compare(t(urls.bare, one), t(urls.bare, oneArr), o));
show('smart: arr1 vs many', await compare(t(urls.smart, oneArr), t(urls.smart, many), o));
show('bare-many vs smart-many', await compare(t(urls.bare, many), t(urls.smart, many), o));
show('bare-arr1 vs smart-arr1', await compare(t(urls.bare, oneArr), t(urls.smart, oneArr), o));
await ex.stop();
