/**
 * Every error code is documented, raised and tested; every documented code exists. Reads the
 * sources as text: a code that only errors.ts names is dead, a page without a code is stale.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const docs = join(root, 'docs/errors');

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === '.next' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

const all = [...files(join(root, 'packages')), ...files(join(root, 'test'))];
const isTest = (p: string) => /\.test\.tsx?$/.test(p) || /[\\/](test|__tests__)[\\/]/.test(p);
const sources = all.filter((p) => !isTest(p) && !p.endsWith(join('core', 'src', 'errors.ts'))).map((p) => readFileSync(p, 'utf8')).join('\n');
const tests = all.filter(isTest).map((p) => readFileSync(p, 'utf8')).join('\n');
const entries = Object.entries(ErrorCode);
// Codes a subclass sets by itself.
const raisedBy: Partial<Record<string, RegExp>> = { CONFIG_INVALID: /new ConfigError\(/ };

describe('error codes', () => {
  it('every code has its page (docs/errors/<code>.md) and a row in docs/errors/README.md', () => {
    const index = readFileSync(join(docs, 'README.md'), 'utf8');
    const missing = entries.filter(([, code]) => !readdirSync(docs).includes(`${code}.md`) || !index.includes(`(${code}.md)`)).map(([, c]) => c);
    expect(missing).toEqual([]);
  });

  it('every page is a code', () => {
    const codes = new Set<string>(Object.values(ErrorCode));
    const stale = readdirSync(docs).filter((f) => f.endsWith('.md') && f !== 'README.md' && !codes.has(f.slice(0, -3)));
    expect(stale).toEqual([]);
  });

  it('every code is raised outside errors.ts', () => {
    const dead = entries.filter(([key]) => !new RegExp(`ErrorCode\\.${key}\\b`).test(sources) && !raisedBy[key]?.test(sources)).map(([, c]) => c);
    expect(dead).toEqual([]);
  });

  it('every code is asserted by a test', () => {
    const untested = entries.filter(([key, code]) => !tests.includes(`'${code}'`) && !tests.includes(`"${code}"`) && !new RegExp(`ErrorCode\\.${key}\\b`).test(tests)).map(([, c]) => c);
    expect(untested).toEqual([]);
  });
});
