#!/usr/bin/env node
// Installs the workspace's dependencies on a fresh clone (only Node >= 20 and npm needed):
// uses pnpm when it is on PATH, else runs the pinned pnpm through npx.
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
if (existsSync(join(root, 'node_modules', '.modules.yaml')) && !process.argv.includes('--force')) process.exit(0);

const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager; // pnpm@x.y.z
const hasPnpm = spawnSync('pnpm', ['--version'], { stdio: 'ignore', shell: process.platform === 'win32' }).status === 0;
const [cmd, args] = hasPnpm ? ['pnpm', ['install', '--frozen-lockfile']] : ['npx', ['--yes', pinned, 'install', '--frozen-lockfile']];
console.log(`> ${cmd} ${args.join(' ')}`);
const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(res.status ?? 1);
