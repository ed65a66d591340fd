// Child process of express-throughput.mjs: the sandbox and the two apps under test, on one core,
// while autocannon drives them from the parent on the other. Prints one JSON line when ready.
import { once } from 'node:events';
import express from 'express';
import { startSandbox } from '@smart-launch/sandbox';
import { smart } from '@smart-launch/express';

async function listen(app) {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${server.address().port}`;
}

const sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 3600 });

const bare = express();
bare.get('/api/ping', (_req, res) => res.json({ ok: true, patient: 'p1' }));

const withSmart = express();
withSmart.use(smart({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }], session: { secret: 'bench-secret-0123456789-0123456789-abc' } }));
// What smart() costs per request: the handler only reads req.smart (requireSmart() would add an
// Express router layer, a cost of Express itself that any guard middleware has).
withSmart.get('/api/ping', (req, res) => (req.smart ? res.json({ ok: true, patient: req.smart.patient }) : res.status(401).end()));

console.log(JSON.stringify({ bare: await listen(bare), smart: await listen(withSmart) }));
process.on('message', (m) => m === 'stop' && sandbox.stop().then(() => process.exit(0)));
