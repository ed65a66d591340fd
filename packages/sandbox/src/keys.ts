import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';

/** Path helper that works from src/ (vitest) and dist/ (built): both sit one level below the package. */
export function packageFile(relative: string): URL {
  return new URL(`../${relative}`, import.meta.url);
}

function loadJwk(file: string): JWK {
  return JSON.parse(readFileSync(packageFile(`keys/${file}`), 'utf8')) as JWK;
}

/** DEMO-ONLY private keys of `demo-asymmetric` and `demo-backend` (see keys/README.md). */
export const demoKeys: { rs384: JWK; es384: JWK } = {
  rs384: loadJwk('demo-rs384.private.jwk.json'),
  es384: loadJwk('demo-es384.private.jwk.json'),
};

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

export function publicJwk(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy as JWK;
}

/** Public JWKS of the demo key pair, registered inline for the demo clients. */
export function demoPublicJwks(): { keys: JWK[] } {
  return { keys: [publicJwk(demoKeys.rs384), publicJwk(demoKeys.es384)] };
}
