// The parent side of the suite: app processes, the load generator, medians and the table.
// Apps run in child processes, autocannon (or a plain HTTP client) runs here: on a 2-core machine
// the app gets one core and the load generator the other. Pairs are measured alternately, so a
// noisy neighbour hurts both sides of a ratio alike; the median of the rounds is reported.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';

/**
 * Starts `module` (a file under bench/apps) in a child process. The child answers commands sent by
 * `call(cmd, args)` (see apps/ipc.mjs) and reports `ready` with its URLs once listening.
 */
export async function startChild(module, { env = {}, execArgv = [], args = [] } = {}) {
  const child = fork(new URL(`../apps/${module}`, import.meta.url), args, {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  let seq = 0;
  let readyResolve;
  let readyReject;
  const ready = new Promise((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  child.on('message', (m) => {
    if (m?.ready) return readyResolve(m.ready);
    const p = pending.get(m?.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(`${module} ${p.cmd}: ${m.error}`));
    else p.resolve(m.result);
  });
  const exited = once(child, 'exit');
  exited.then(([code]) => {
    const err = new Error(`${module} exited (code ${code})`);
    readyReject(err);
    for (const p of pending.values()) p.reject(err);
  });
  const info = await ready;
  return {
    info,
    pid: child.pid,
    call(cmd, ...a) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, cmd });
        child.send({ id, cmd, args: a });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.send({ id: 0, cmd: 'stop', args: [] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * One autocannon run (`seconds` long, or `amount` requests). `target.cookies`: one Cookie header (one session) or an array cycled
 * request by request (many sessions). Latencies are kept at full resolution (autocannon's own
 * histogram rounds to whole milliseconds).
 */
export function load(target, { seconds, connections, amount }) {
  const cookies = Array.isArray(target.cookies) ? target.cookies : null;
  let i = 0;
  const latencies = [];
  let first;
  let last;
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: target.url,
        connections,
        // autocannon ends a run on its sampling tick (1 s by default): a short tick ends it on time.
        sampleInt: 50,
        // A fixed number of requests (smoke mode: a figure however slow the machine) or a duration.
        ...(amount ? { amount } : { duration: seconds }),
        headers: { accept: 'application/json', ...(cookies || !target.cookies ? {} : { cookie: target.cookies }) },
        ...(cookies ? { requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, cookie: cookies[i++ % cookies.length] } }) }] } : {}),
      },
      (err, r) => {
        if (err) return reject(err);
        latencies.sort((a, b) => a - b);
        // autocannon's per-second average is empty for short runs and it ends on a whole-second
        // tick: rate = responses between the first and the last one, over that time.
        const seconds = Number(last - first) / 1e9;
        resolve({ rps: latencies.length > 1 && seconds > 0 ? (latencies.length - 1) / seconds : 0, total: r.requests.total, non2xx: r.non2xx, errors: r.errors + r.timeouts, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99) });
      },
    );
    inst.on('response', (_client, _status, _bytes, ms) => {
      last = process.hrtime.bigint();
      first ??= last;
      latencies.push(ms);
    });
  });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);

/**
 * Measures `ours` against `base` (same framework and handler, without smart-launch): a warm-up of
 * each, then `rounds` alternating runs (base, ours, ours, base, ... so neither side always runs
 * second). Returns medians of req/s and latencies and the median of the per-round ratios.
 */
/** `load()`, plus the app process's CPU µs per request when the target has `cpu()`. */
async function measured(target, o) {
  const c0 = target.cpu ? await target.cpu() : undefined;
  const r = await load(target, o);
  if (c0 !== undefined && r.total > 0) r.cpuUs = ((await target.cpu()) - c0) / r.total;
  return r;
}

export async function compare(base, ours, o) {
  // The baseline gets the same requests, Cookie header included: parsing a few KB of headers is
  // a cost of the request, on both sides; the ratio is what the library adds.
  if (base.cookies === undefined) base = { ...base, cookies: ours.cookies };
  // Warm-up (JIT, caches, connections) of each side; not counted.
  const warm = { ...o, seconds: o.warm, amount: o.amount && Math.ceil(o.amount / 2) };
  await load(base, warm);
  await load(ours, warm);
  const rows = { base: [], ours: [] };
  for (let r = 0; r < o.rounds; r++) {
    const order = r % 2 ? [['ours', ours], ['base', base]] : [['base', base], ['ours', ours]];
    for (const [k, t] of order) {
      const res = await measured(t, o);
      if (res.non2xx || res.errors || res.total === 0) throw new Error(`${t.url}: ${res.non2xx} non-2xx answers, ${res.errors} errors, ${res.total} requests`);
      rows[k].push(res);
    }
  }
  const ratios = rows.ours.map((x, r) => x.rps / rows.base[r].rps);
  const m = (k, f) => median(rows[k].map((x) => x[f]));
  const baseRps = m('base', 'rps');
  const oursRps = m('ours', 'rps');
  return {
    ratio: median(ratios),
    ratios,
    baseRps,
    oursRps,
    // Time per request on the app's core: what smart-launch adds, in microseconds.
    addedUs: 1e6 / oursRps - 1e6 / baseRps,
    // CPU per request of the app process: the same comparison, far less disturbed by other load.
    ...(rows.base[0].cpuUs !== undefined && rows.ours[0].cpuUs !== undefined
      ? { cpuRatio: median(rows.ours.map((x, r) => rows.base[r].cpuUs / x.cpuUs)), addedCpuUs: m('ours', 'cpuUs') - m('base', 'cpuUs'), baseCpuUs: m('base', 'cpuUs') }
      : {}),
    addedP50: m('ours', 'p50') - m('base', 'p50'),
    addedP99: m('ours', 'p99') - m('base', 'p99'),
  };
}

/** Load average and CPU count, printed with the results: how quiet the machine was. */
export async function machineNote() {
  const os = await import('node:os');
  const [l1, l5] = os.loadavg();
  return `${os.cpus().length} cores, load average ${l1.toFixed(2)} (1 min) / ${l5.toFixed(2)} (5 min) before the run, node ${process.version}`;
}
