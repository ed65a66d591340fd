#!/usr/bin/env node
// Runs the workspace's turbo with an absolute PATH. pnpm puts a *relative* `./node_modules/.bin` first
// on PATH for scripts; turbo then finds `./node_modules/.bin/pnpm` (the pinned root devDependency) and
// spawns it from each package's folder, where that relative path does not exist ("unable to spawn
// child process"). With only absolute entries, turbo finds the root's pnpm from any folder.
import { spawnSync } from 'node:child_process';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'node_modules', '.bin');
const PATH = [bin, ...(process.env.PATH ?? '').split(delimiter).filter((p) => p && isAbsolute(p))].join(delimiter);
const turbo = join(bin, process.platform === 'win32' ? 'turbo.cmd' : 'turbo');
const res = spawnSync(turbo, process.argv.slice(2), { stdio: 'inherit', env: { ...process.env, PATH }, shell: process.platform === 'win32' });
process.exit(res.status ?? 1);
