#!/usr/bin/env node
// Starts the sandbox EHR (port 4010) and the Express example (port 3000) together.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sandboxPort = process.env.SANDBOX_PORT ?? '4010';
const appPort = process.env.PORT ?? '3000';
const children = [];
function run(name, args, env) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout, child.stderr]) s.on('data', (d) => process.stdout.write(d.toString().replace(/^(?=.)/gm, `[${name}] `)));
  child.on('exit', (code) => {
    console.log(`[${name}] exited (${code})`);
    shutdown(code ?? 1);
  });
  children.push(child);
}
function shutdown(code) {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 300).unref();
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

run('sandbox', ['packages/sandbox/dist/cli.js'], { SANDBOX_PORT: sandboxPort, SANDBOX_APPS: JSON.stringify([{ name: 'Express example', launchUrl: `http://127.0.0.1:${appPort}/launch` }]) });
run('express', ['examples/express/dist/server.js'], { PORT: appPort, SMART_ISS: `http://127.0.0.1:${sandboxPort}/fhir`, SESSION_SECRET: process.env.SESSION_SECRET ?? 'demo-session-secret-change-me-0123456789' });
// "Demo ready" once both servers answer HTTP (the EHR page and the app), with the time it took.
async function answers(url) {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status < 500;
  } catch {
    return false;
  }
}
const started = Date.now();
const ehrPage = `http://127.0.0.1:${sandboxPort}/ehr/launch`;
const appPage = `http://127.0.0.1:${appPort}/`;
while (!(await answers(ehrPage)) || !(await answers(appPage))) {
  if (Date.now() - started > 60_000) {
    console.error('demo: the sandbox or the Express example did not answer within 60 s');
    shutdown(1);
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
if (children.every((c) => c.exitCode === null)) {
  console.log(`\nDemo ready (servers up in ${((Date.now() - started) / 1000).toFixed(1)} s):\n  EHR page:    ${ehrPage}\n  Express app: ${appPage}  (standalone launch: ${appPage}launch)\nCtrl+C stops both.\n`);
}
