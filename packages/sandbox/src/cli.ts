#!/usr/bin/env node
import { startSandbox } from './index.js';

// A fixed interface: listen on 127.0.0.1:${SANDBOX_PORT:-4010}, print the FHIR base URL on its own line.
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
// SANDBOX_PROFILE (strict, launcher, epic, cerner, v1, medplum) is read by startSandbox.
let sandbox;
try {
  sandbox = await startSandbox({ port, host: '127.0.0.1', ...(apps ? { apps } : {}) });
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
console.log(sandbox.fhirBaseUrl);
console.log(`Profile: ${sandbox.profile}`);
console.log(`EHR: ${sandbox.origin}/ehr/launch (EHR launch iss: ${sandbox.ehrIssuer})`);
if (sandbox.profile === 'cerner') console.log(`Tenants: ${sandbox.fhirBaseUrlPattern} (${sandbox.tenants.map((t) => t.id).join(', ')})`);
if (sandbox.profile !== 'v1') console.log(`Discovery: ${sandbox.fhirBaseUrl}/.well-known/smart-configuration`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    sandbox.stop().then(() => process.exit(0), () => process.exit(1));
  });
}
