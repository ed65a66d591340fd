import { describe, expect, it } from 'vitest';
import { startProcess } from './helpers/processes.js';

// examples/next validates its config (smart.ts, from env) when `next start` boots, via instrumentation.ts
// and ready({ exitOnError: true }), the pattern the README shows: the process exits with code 1.
describe('examples/next startup', () => {
  it('refuses to start with an invalid config, naming the key', async () => {
    await expect(startProcess('node', ['examples/next/scripts/start.mjs'], { env: { SMART_ISS: 'ftp://ehr.example/fhir', SESSION_SECRET: 'startup-test-session-secret-0123456789abcdef' } })).rejects.toThrow(/exited \(1\)[\s\S]*invalid configuration, stopping: [\s\S]*issuers\[0\]\.iss/);
  });

  it('refuses to start in production without SESSION_SECRET', async () => {
    await expect(startProcess('node', ['examples/next/scripts/start.mjs'], { env: { SMART_ISS: 'http://127.0.0.1:4010/fhir', SESSION_SECRET: '' } })).rejects.toThrow(/exited \(1\)[\s\S]*SESSION_SECRET is required/);
  });
});
