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
setTimeout(() => {
  console.log(`\nDemo ready:\n  EHR page:    http://127.0.0.1:${sandboxPort}/ehr/launch\n  Express app: http://127.0.0.1:${appPort}/  (standalone launch: http://127.0.0.1:${appPort}/launch)\nCtrl+C stops both.\n`);
}, 1500);
