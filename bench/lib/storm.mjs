// The refresh storm's client: `perSession` requests for each session, queued session after
// session and sent by `window` concurrent workers, so every session's requests are in flight
// together while its token is being refreshed.
import http from 'node:http';

export async function storm(url, cookies, { perSession, window }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: window });
  const target = new URL(url);
  const total = cookies.length * perSession;
  const latencies = new Float64Array(total);
  let next = 0;
  let errors = 0;
  const one = (cookie) =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, agent, headers: { cookie, accept: 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ ok: res.statusCode === 200, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      });
      req.on('error', () => resolve({ ok: false, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      req.end();
    });
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      const r = await one(cookies[Math.floor(i / perSession)]);
      latencies[i] = r.ms;
      if (!r.ok) errors++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: window }, worker));
  agent.destroy();
  latencies.sort();
  const at = (p) => latencies[Math.min(total - 1, Math.floor(p * total))];
  return { requests: total, errors, p50: at(0.5), p99: at(0.99), seconds: (Date.now() - started) / 1000 };
}
