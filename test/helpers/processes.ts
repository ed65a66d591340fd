import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningApp {
  baseUrl: string;
  output(): string;
  stop(): Promise<void>;
}

type StartOptions = { cwd?: string; env?: Record<string, string>; timeoutMs?: number; readyPath?: string; portEnv?: string };

/**
 * Starts a server process on a free port (in $PORT, or the `portEnv` variable) and waits until it
 * answers HTTP. A port found free can be taken before the process listens on it (a busy run opens
 * many connections): the process then exits with EADDRINUSE and is started again on another port.
 */
export async function startProcess(command: string, args: string[], options: StartOptions = {}): Promise<RunningApp> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(command, args, options, await freePort());
    } catch (e) {
      if (attempt >= 3 || !/EADDRINUSE/.test((e as Error).message)) throw e;
    }
  }
}

async function startOnce(command: string, args: string[], options: StartOptions, port: number): Promise<RunningApp> {
  const baseUrl = `http://127.0.0.1:${port}`;
  let out = '';
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', ...options.env, [options.portEnv ?? 'PORT']: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited (${child.exitCode}):\n${out}`);
    try {
      const res = await fetch(`${baseUrl}${options.readyPath ?? '/'}`, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${command} did not start in time:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  return { baseUrl, output: () => out, stop };
}
