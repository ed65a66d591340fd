import { generateKeyPairSync } from 'node:crypto';
import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { publicJwks } from '@smart-launch/core';
import { UsageError, type CliIo } from '../io.js';

export const KEYS_HELP = `smart-launch keys generate --alg RS384|ES384 [--kid <id>] [--name <file prefix>] [--out-dir <dir>] [--force]
  Writes <name>.private.jwk.json (mode 0600; keep it secret) and <name>.jwks.json (the public JWKS
  to register or serve at /.well-known/jwks.json). Default name: smart-<alg lowercase>.`;

export async function keys(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { alg: { type: 'string' }, kid: { type: 'string' }, name: { type: 'string' }, 'out-dir': { type: 'string', default: '.' }, force: { type: 'boolean', default: false } },
  });
  if (positionals[0] !== 'generate' || positionals.length !== 1) throw new UsageError('expected: keys generate');
  const alg = values.alg;
  if (alg !== 'RS384' && alg !== 'ES384') throw new UsageError('--alg must be RS384 or ES384');
  // SMART client-confidential-asymmetric: RS384 (RSA >= 2048 bits) or ES384 (P-384).
  const { privateKey } = alg === 'RS384' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig' } as Record<string, unknown>;
  const jwks = await publicJwks([values.kid ? { ...jwk, kid: values.kid } : jwk]);
  const kid = jwks.keys[0]!.kid!;
  const name = values.name ?? `smart-${alg.toLowerCase()}`;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new UsageError('--name may only contain letters, digits, ".", "_" and "-"');
  const dir = resolve(values['out-dir']!);
  const privatePath = join(dir, `${name}.private.jwk.json`);
  const publicPath = join(dir, `${name}.jwks.json`);
  if (!values.force) {
    for (const p of [privatePath, publicPath]) {
      if (await access(p).then(() => true, () => false)) throw new UsageError(`${p} exists (use --force to overwrite)`);
    }
  }
  await mkdir(dir, { recursive: true });
  await writeFile(privatePath, `${JSON.stringify({ ...jwk, kid }, null, 2)}\n`, { mode: 0o600 });
  await chmod(privatePath, 0o600);
  await writeFile(publicPath, `${JSON.stringify(jwks, null, 2)}\n`);
  io.stdout(`alg:         ${alg}\nkid:         ${kid}\nprivate key: ${privatePath} (mode 0600, keep it secret)\npublic JWKS: ${publicPath}`);
  return 0;
}
