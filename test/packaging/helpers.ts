/**
 * The packages as an outside app gets them: `pnpm pack` (workspace:* becomes the real version),
 * then plain npm installs the tarballs into a temporary app outside the workspace.
 */
import { execFile, type ExecFileOptions } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../helpers/processes.js';

/** Every published package: packages/* that are not private (core, express, next, nestjs, sandbox, cli, ...). */
export const PACKAGES: readonly string[] = readdirSync(join(repoRoot, 'packages'))
  .filter((d) => existsSync(join(repoRoot, 'packages', d, 'package.json')))
  .filter((d) => !(JSON.parse(readFileSync(join(repoRoot, 'packages', d, 'package.json'), 'utf8')) as { private?: boolean }).private)
  .sort();
export type PackageName = string;

/** The environment for npm in the outside app: none of the npm_* / pnpm settings of the runner. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|pnpm_|PNPM_|INIT_CWD|NODE_OPTIONS|VITEST|NODE_ENV)/i.test(k)) env[k] = v;
  return { ...env, NO_UPDATE_NOTIFIER: '1', NEXT_TELEMETRY_DISABLED: '1', ...extra };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(cmd: string, args: string[], options: ExecFileOptions & { timeout?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', env: cleanEnv(), ...options }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) + (error && code === 1 && !stderr ? String(error.message) : '') });
    });
  });
}

export async function mustRun(cmd: string, args: string[], options: ExecFileOptions & { timeout?: number } = {}): Promise<Run> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${String(options.cwd ?? '.')}) exited ${r.code}:\n${r.stdout}\n${r.stderr}`.slice(-8000));
  return r;
}

/** `pnpm pack` of the named packages into a new temp dir; the built dist/ must exist (npm test builds first). */
export async function pack(names: readonly PackageName[]): Promise<Record<PackageName, string>> {
  const dest = await mkdtemp(join(tmpdir(), 'smart-launch-tarballs-'));
  for (const name of names) {
    const dir = join(repoRoot, 'packages', name);
    if (!existsSync(join(dir, 'dist'))) throw new Error(`packages/${name}/dist is missing: build first (pnpm build)`);
  }
  // pnpm is on PATH under `npm test` / `pnpm test` (a root devDependency: node_modules/.bin).
  await Promise.all(names.map((name) => mustRun('pnpm', ['pack', '--pack-destination', dest], { cwd: join(repoRoot, 'packages', name), env: { ...process.env }, timeout: 120_000 })));
  const files = await readdir(dest);
  const out = {} as Record<PackageName, string>;
  for (const name of names) {
    const file = files.find((f) => f.startsWith(`smart-launch-${name}-`) && f.endsWith('.tgz'));
    if (!file) throw new Error(`no tarball for ${name} in ${dest}: ${files.join(', ')}`);
    out[name] = join(dest, file);
  }
  return out;
}

/** A new directory outside the workspace with these files (paths relative to it). */
export async function makeApp(prefix: string, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `smart-launch-${prefix}-`));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** Plain npm, as an outside app installs; warm-cache friendly. */
export function npmInstall(dir: string, specs: string[]): Promise<Run> {
  return mustRun('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: dir, timeout: 400_000 });
}
