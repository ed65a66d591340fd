import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface ExampleConfig {
  iss: string;
  clientId: string;
  privateKey: string;
  scope: string;
  export: boolean;
  json: boolean;
}

/** SMART_PRIVATE_KEY: a JWK or PEM, or a path to one; default the sandbox's DEMO-ONLY key. */
async function privateKey(value: string | undefined): Promise<string> {
  if (value && (value.trim().startsWith('{') || value.includes('-----BEGIN'))) return value;
  const path = value ?? fileURLToPath(import.meta.resolve('@smart-launch/sandbox/keys/demo-es384.private.jwk.json'));
  return readFile(path, 'utf8');
}

export async function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): Promise<ExampleConfig> {
  return {
    iss: env.SMART_ISS ?? 'http://127.0.0.1:4010/fhir',
    clientId: env.SMART_CLIENT_ID ?? 'demo-backend',
    privateKey: await privateKey(env.SMART_PRIVATE_KEY),
    scope: env.SMART_SCOPE ?? 'system/*.rs',
    export: argv.includes('--export') || env.SMART_EXPORT === '1',
    json: argv.includes('--json'),
  };
}
