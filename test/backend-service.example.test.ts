import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createBackendClient } from '@smart-launch/core/backend';
import { loadConfig } from '../examples/backend-service/src/config.js';
import { formatSummary, summarizeByExport, summarizeBySearch } from '../examples/backend-service/src/summary.js';
import { repoRoot } from './helpers/processes.js';

describe('examples/backend-service: data for all patients with system/*.rs', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, quiet: true });
  });
  afterAll(() => sandbox?.stop());

  const client = async () => {
    const config = await loadConfig({ SMART_ISS: sandbox.fhirBaseUrl }, []);
    expect(config).toMatchObject({ clientId: 'demo-backend', scope: 'system/*.rs' });
    return createBackendClient({ iss: config.iss, clientId: config.clientId, privateKey: config.privateKey, scope: config.scope });
  };

  it('summarises every patient with counts of their data', async () => {
    const summary = await summarizeBySearch(await client());
    expect(summary.patients.map((p) => p.id)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    for (const p of summary.patients) expect(p.counts.Observation).toBeGreaterThan(0);
    expect(formatSummary(summary)).toMatch(/^5 patients \(via search\)/);
  });

  it('--export: a bulk $export of the sandbox gives the same summary as searches', async () => {
    const c = await client();
    const exported = await summarizeByExport(c);
    expect(exported?.source).toBe('bulk-export');
    const searched = await summarizeBySearch(c);
    expect(exported!.patients).toEqual(searched.patients);
  });

  const dist = `${repoRoot}examples/backend-service/dist/main.js`;
  it('the built example prints the summary and no token', async () => {
    expect(existsSync(dist), `${dist} is missing: run pnpm build first`).toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, [dist], { env: { ...process.env, SMART_ISS: sandbox.fhirBaseUrl }, encoding: 'utf8', timeout: 30_000 });
    expect(stdout).toContain('5 patients');
    expect(stdout).not.toMatch(/Bearer|access_token/);
  });
});
