#!/usr/bin/env node
import { startSandbox } from './index.js';

// CONTRACTS.md: listen on 127.0.0.1:${SANDBOX_PORT:-4010}, print the FHIR base URL on its own line.
const port = Number(process.env.SANDBOX_PORT || 4010);
// SANDBOX_APPS: JSON list of { name, launchUrl } shown on the EHR page.
let apps: { name: string; launchUrl: string }[] | undefined;
if (process.env.SANDBOX_APPS) {
  try {
    apps = JSON.parse(process.env.SANDBOX_APPS) as { name: string; launchUrl: string }[];
    if (!Array.isArray(apps) || apps.some((a) => typeof a?.name !== 'string' || typeof a?.launchUrl !== 'string')) throw new Error('shape');
  } catch {
    console.error('SANDBOX_APPS must be a JSON array of { "name": string, "launchUrl": string }');
    process.exit(1);
  }
}
const sandbox = await startSandbox({ port, host: '127.0.0.1', ...(apps ? { apps } : {}) });
console.log(sandbox.fhirBaseUrl);
console.log(`EHR: ${sandbox.origin}/ehr/launch`);
console.log(`Discovery: ${sandbox.fhirBaseUrl}/.well-known/smart-configuration`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    sandbox.stop().then(() => process.exit(0), () => process.exit(1));
  });
}
