#!/usr/bin/env node
// Installs the workspace's dependencies on a fresh clone (only Node >= 20.19 and npm needed):
// uses pnpm when it is on PATH, else runs the pinned pnpm through npx. pnpm is also a root
// devDependency, so after the install node_modules/.bin/pnpm exists and every later step of an
// `npm run` script (turbo, which runs each package's task with the package manager binary, and
// tests that call pnpm) finds it on PATH although no pnpm is installed on the machine.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`smart-launch needs Node >= 20.19 (this is ${process.version}).`);
  process.exit(1);
}

const read = (p) => (existsSync(p) ? readFileSync(p, 'utf8') : null);
// Installed and current: pnpm keeps a copy of the lockfile it installed in node_modules/.pnpm/lock.yaml.
const installed = read(join(root, 'node_modules', '.pnpm', 'lock.yaml'));
const upToDate = installed !== null && installed === read(join(root, 'pnpm-lock.yaml')) && existsSync(join(root, 'node_modules', '.bin', 'pnpm'));
if (upToDate && !process.argv.includes('--force')) process.exit(0);

const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager; // pnpm@x.y.z
const win = process.platform === 'win32';
const hasPnpm = spawnSync('pnpm', ['--version'], { stdio: 'ignore', shell: win }).status === 0;
const [cmd, args] = hasPnpm ? ['pnpm', ['install', '--frozen-lockfile']] : ['npx', ['--yes', pinned, 'install', '--frozen-lockfile']];
console.log(`> ${cmd} ${args.join(' ')}`);
const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: win });
if (res.status === 0 && !existsSync(join(root, 'node_modules', '.bin', 'pnpm'))) {
  console.error('bootstrap: node_modules/.bin/pnpm is missing after the install (pnpm is a root devDependency).');
  process.exit(1);
}
process.exit(res.status ?? 1);
