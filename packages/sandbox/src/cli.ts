#!/usr/bin/env node
import { startSandbox } from './index.js';

// CONTRACTS.md: listen on 127.0.0.1:${SANDBOX_PORT:-4010}, print the FHIR base URL on its own line.
const port = Number(process.env.SANDBOX_PORT || 4010);
const sandbox = await startSandbox({ port, host: '127.0.0.1' });
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
