/**
 * Collects the profile x example matrix: each profile describe block appends one JSON line
 * (`{ example, profile, passed, planned }`) to a file; at the end of the run the matrix is printed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    profileMatrixFile: string;
  }
}

interface Row {
  example: string;
  profile: string;
  passed: number;
  planned: number;
}

/** The matrix as text: one row per profile, one column per example, `passed/planned` in each cell. */
export function formatMatrix(rows: Row[]): string {
  const examples = [...new Set(rows.map((r) => r.example))].sort();
  const order = ['strict', 'launcher', 'epic', 'cerner', 'v1', 'medplum'];
  const rank = (p: string) => (order.includes(p) ? order.indexOf(p) : order.length);
  const profiles = [...new Set(rows.map((r) => r.profile))].sort((a, b) => rank(a) - rank(b));
  const cell = (p: string, e: string) => {
    const r = rows.filter((x) => x.profile === p && x.example === e);
    if (!r.length) return '-';
    const passed = r.reduce((n, x) => n + x.passed, 0);
    const planned = r.reduce((n, x) => n + x.planned, 0);
    return `${passed}/${planned}${passed === planned ? '' : ' FAIL'}`;
  };
  const table = [['profile', ...examples], ...profiles.map((p) => [p, ...examples.map((e) => cell(p, e))])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'smart-launch-matrix-'));
  const file = join(dir, 'rows.jsonl');
  project.provide('profileMatrixFile', file);
  return () => {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // No matrix test ran in this run.
    }
    rmSync(dir, { recursive: true, force: true });
    const rows = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
    if (rows.length) console.log(`\nprofile x example matrix (checks passed/planned)\n${formatMatrix(rows)}\n`);
  };
}
