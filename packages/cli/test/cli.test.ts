import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createIntrospector } from '@smart-launch/core/resource-server';
import { main } from '../src/main.js';

let sandbox: Sandbox;
let locked: Sandbox;
let dir: string;
const KEY_FILE = fileURLToPath(new URL('../../sandbox/keys/demo-es384.private.jwk.json', import.meta.url));

async function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  [sandbox, locked] = await Promise.all([
    startSandbox({ port: 0, autoApprove: true, quiet: true }),
    startSandbox({ port: 0, autoApprove: true, quiet: true, registrationAccessToken: 'cli-initial-token' }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'smart-cli-'));
});
afterAll(async () => {
  await Promise.all([sandbox?.stop(), locked?.stop()]);
});

describe('smart-launch keys generate', () => {
  for (const alg of ['RS384', 'ES384'] as const) {
    it(`${alg}: private JWK (0600) and public JWKS files; the key is never printed`, async () => {
      const r = await run(['keys', 'generate', '--alg', alg, '--out-dir', dir, '--name', `k-${alg}`, '--kid', `kid-${alg}`]);
      expect(r.code).toBe(0);
      const priv = JSON.parse(await readFile(join(dir, `k-${alg}.private.jwk.json`), 'utf8'));
      const pub = JSON.parse(await readFile(join(dir, `k-${alg}.jwks.json`), 'utf8'));
      expect((await stat(join(dir, `k-${alg}.private.jwk.json`))).mode & 0o777).toBe(0o600);
      expect(priv).toMatchObject({ alg, kid: `kid-${alg}`, d: expect.any(String) });
      expect(pub.keys).toEqual([expect.objectContaining({ alg, kid: `kid-${alg}`, use: 'sig' })]);
      for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(pub.keys[0]).not.toHaveProperty(m);
      expect(r.out).toContain(`kid-${alg}`);
      expect(r.out).not.toContain(priv.d);
    });
  }
  it('refuses to overwrite without --force, and a bad --alg', async () => {
    expect((await run(['keys', 'generate', '--alg', 'ES384', '--out-dir', dir, '--name', 'k-ES384'])).code).toBe(2);
    expect((await run(['keys', 'generate', '--alg', 'ES384', '--out-dir', dir, '--name', 'k-ES384', '--force'])).code).toBe(0);
    expect((await run(['keys', 'generate', '--alg', 'HS256'])).code).toBe(2);
  });
});

describe('smart-launch discover', () => {
  it('prints and checks the sandbox smart-configuration', async () => {
    const r = await run(['discover', sandbox.fhirBaseUrl]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`token_endpoint           ${sandbox.origin}/oidc/token`);
    expect(r.out).toContain('ok   code_challenge_methods_supported has S256 and not plain');
    expect(r.out).not.toContain('FAIL');
    const json = JSON.parse((await run(['discover', sandbox.fhirBaseUrl, '--json'])).out);
    expect(json.ok).toBe(true);
    expect(json.configuration.capabilities).toContain('launch-ehr');
  });
  it('fails (exit 1) on a server that does not answer, and on a non-conformant document', async () => {
    expect((await run(['discover', 'http://127.0.0.1:9/fhir'])).code).toBe(1);
    const { checkConfiguration } = await import('../src/commands/discover.js');
    const checks = checkConfiguration({ token_endpoint: 'https://a/token', capabilities: ['launch-ehr'], code_challenge_methods_supported: ['S256'] }, { code_challenge_methods_supported: ['plain', 'S256'] });
    expect(checks.filter((c) => c.ok === false).map((c) => c.what)).toEqual([
      'grant_types_supported is present',
      'code_challenge_methods_supported has S256 and not plain',
      'authorization_endpoint is present (launch-ehr/launch-standalone advertised)',
    ]);
  });
});

describe('smart-launch register', () => {
  it('a public client', async () => {
    const r = await run(['register', sandbox.fhirBaseUrl, '--auth', 'none', '--name', 'cli app', '--redirect-uri', 'http://127.0.0.1:5555/callback', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ token_endpoint_auth_method: 'none', client_id: expect.any(String) });
  });
  it('a symmetric client: the secret goes to --out, not to stdout', async () => {
    expect((await run(['register', sandbox.fhirBaseUrl, '--auth', 'client_secret_basic', '--redirect-uri', 'http://127.0.0.1:5555/callback'])).code).toBe(2);
    const out = join(dir, 'registrations.json');
    const r = await run(['register', sandbox.fhirBaseUrl, '--auth', 'client_secret_basic', '--redirect-uri', 'http://127.0.0.1:5555/callback', '--out', out]);
    expect(r.code).toBe(0);
    const saved = JSON.parse(await readFile(out, 'utf8'))[sandbox.fhirBaseUrl];
    expect(saved.clientSecret).toEqual(expect.any(String));
    expect(r.out).not.toContain(saved.clientSecret);
    expect(r.out).toContain(saved.clientId);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const shown = await run(['register', sandbox.fhirBaseUrl, '--auth', 'client_secret_basic', '--redirect-uri', 'http://127.0.0.1:5555/callback', '--show-secret']);
    expect(shown.out).toMatch(/client_secret\s+\S{16,}/);
  });
  it('a backend client from a generated key, then a token with it', async () => {
    const key = join(dir, 'k-ES384.private.jwk.json');
    const r = await run(['register', sandbox.fhirBaseUrl, '--auth', 'private_key_jwt', '--grant-type', 'client_credentials', '--private-key', key, '--json']);
    expect(r.code).toBe(0);
    const { client_id } = JSON.parse(r.out);
    const t = await run(['token', '--backend', '--iss', sandbox.fhirBaseUrl, '--client-id', client_id, '--scope', 'system/Patient.rs', '--private-key', key]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/scope\s+system\/Patient\.rs/);
  });
  it('the initial access token comes from the environment and never shows in errors', async () => {
    const args = ['register', locked.fhirBaseUrl, '--auth', 'none', '--redirect-uri', 'http://127.0.0.1:5555/callback'];
    const denied = await run(args, { SMART_INITIAL_ACCESS_TOKEN: 'wrong-initial-token' });
    expect(denied.code).toBe(1);
    expect(denied.err).toContain('registration_failed');
    expect(denied.err + denied.out).not.toContain('wrong-initial-token');
    expect((await run(args, { SMART_INITIAL_ACCESS_TOKEN: 'cli-initial-token' })).code).toBe(0);
  });
});

describe('smart-launch token --backend', () => {
  const base = () => ['token', '--backend', '--iss', sandbox.fhirBaseUrl, '--client-id', 'demo-backend', '--scope', 'system/*.rs'];

  it('prints only metadata; the token it got is real (introspection says active)', async () => {
    const r = await run([...base(), '--private-key', KEY_FILE, '--json']);
    expect(r.code).toBe(0);
    const meta = JSON.parse(r.out);
    expect(meta.token_type).toMatch(/^bearer$/i);
    expect(meta).toMatchObject({ scope: 'system/*.rs', client_id: 'demo-backend', expires_in: expect.any(Number), token_sha256: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(Object.keys(meta)).not.toContain('access_token');
    // --show-token prints the token alone; it is not in the metadata output.
    const shown = await run([...base(), '--private-key', KEY_FILE, '--show-token']);
    const token = shown.out.trim();
    expect(token.length).toBe(meta.token_length);
    expect(r.out).not.toContain(token);
    const info = await createIntrospector({ iss: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.rs384 }).introspect(token);
    expect(info.active).toBe(true);
  });

  it('reads the key from $SMART_PRIVATE_KEY (inline JWK), never echoing it', async () => {
    const r = await run(base(), { SMART_PRIVATE_KEY: JSON.stringify(demoKeys.es384) });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(String(demoKeys.es384.d));
  });

  it('a wrong key: invalid_client, exit 1, no assertion or key in the output', async () => {
    const wrong = join(dir, 'k-RS384.private.jwk.json');
    const r = await run([...base(), '--private-key', wrong]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('invalid_client');
    const d = JSON.parse(await readFile(wrong, 'utf8')).d as string;
    expect(r.err).not.toContain(d);
    expect(r.err).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/);
  });

  it('usage errors exit 2', async () => {
    expect((await run(['token', '--iss', sandbox.fhirBaseUrl])).code).toBe(2);
    expect((await run([...base()])).code).toBe(2);
    expect((await run(['nope'])).code).toBe(2);
  });
});

describe('the built bin', () => {
  const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  // Built by `pnpm test` (turbo build) before vitest runs; a source-only run must build first.
  it('runs as `smart-launch` (dist/cli.js)', async () => {
    expect(existsSync(bin), `${bin} is missing: run pnpm build first`).toBe(true);
    // Async: the sandbox runs in this process and must keep answering.
    const r = await promisify(execFile)(process.execPath, [bin, 'discover', sandbox.fhirBaseUrl, '--json'], { encoding: 'utf8', timeout: 20_000 });
    expect(JSON.parse(r.stdout).ok).toBe(true);
  });
});

describe('smart-launch --version', () => {
  it('prints the package version and exits 0', async () => {
    const { version } = JSON.parse(await readFile(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.out).toBe(version);
    }
  });
});
