import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The benchmark suite in smoke mode (tiny sizes, short runs) so it can't rot: every row must
// produce its figures. Nothing here is about speed: a slow machine passes, a broken row fails.
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXPECTED = ['1', '1c', '2a', '2b', '3', '4a', '4b', '4c', '4d', '5a', '5b', '6a', '6b', '6c', '6d', '7a', '7b', '7c', '7d', '8', '9a', '9b'];
const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

describe('bench suite (smoke mode)', () => {
  it('produces a figure for every row', async () => {
    const out = join(dir, 'bench.json');
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['bench/suite.mjs', '--smoke', '--json', out], { cwd: root, timeout: 280_000, maxBuffer: 16 * 2 ** 20 }, (err, so, se) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: so, stderr: se }),
      );
    });
    expect(code, stderr.slice(-4000)).toBe(0);
    const { rows } = JSON.parse(readFileSync(out, 'utf8')) as { rows: Record<string, unknown>[] };
    expect(rows.map((r) => String(r.id)).sort()).toEqual([...EXPECTED].sort());
    for (const r of rows) {
      const id = String(r.id);
      if (id === '3') expect([r.addedP50, r.addedP99].every(finite), id).toBe(true);
      else if (id === '8') {
        // Correctness, not speed: one token call per session, no failed request.
        expect(r.tokenCalls, id).toBe(r.expectedTokenCalls);
        expect(r.errors, id).toBe(0);
        expect(finite(r.p99), id).toBe(true);
      } else if (id.startsWith('9')) expect([r.heapMB, r.rssMB].every(finite), id).toBe(true);
      else expect([r.ratio, r.cpuRatio, r.addedUs, r.addedCpuUs, r.addedP50, r.addedP99, r.oursRps, r.baseRps].every(finite), id).toBe(true);
    }
    // The printed table has every row.
    for (const id of EXPECTED) expect(stdout).toMatch(new RegExp(`^\\| ${id} \\|`, 'm'));
  }, 300_000);
});
