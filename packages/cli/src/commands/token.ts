import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createBackendClient } from '@smart-launch/core/backend';
import { readKey, UsageError, type CliIo } from '../io.js';

export const TOKEN_HELP = `smart-launch token --backend (--iss <fhir base url> | --token-endpoint <url>) --client-id <id>
    --scope <scopes> [--private-key <file>] [--alg RS384|ES384] [--json] [--show-token]
  Gets a SMART Backend Services token (client_credentials + private_key_jwt). The key comes from
  --private-key or $SMART_PRIVATE_KEY (a JWK or PEM, or a path). Prints only the token's metadata;
  --show-token prints the access token itself (alone, for scripts).`;

export async function token(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      backend: { type: 'boolean', default: false },
      iss: { type: 'string' },
      'token-endpoint': { type: 'string' },
      'client-id': { type: 'string' },
      scope: { type: 'string' },
      'private-key': { type: 'string' },
      alg: { type: 'string' },
      json: { type: 'boolean', default: false },
      'show-token': { type: 'boolean', default: false },
    },
  });
  void positionals;
  if (!values.backend) throw new UsageError('only --backend (client_credentials) tokens are supported');
  if (!values['client-id']) throw new UsageError('--client-id is required');
  if (!values.scope) throw new UsageError('--scope is required (e.g. "system/*.rs")');
  const keySource = values['private-key'] ?? io.env.SMART_PRIVATE_KEY;
  if (!keySource) throw new UsageError('--private-key or $SMART_PRIVATE_KEY is required');
  if (values.alg !== undefined && values.alg !== 'RS384' && values.alg !== 'ES384') throw new UsageError('--alg must be RS384 or ES384');
  const client = createBackendClient({
    ...(values.iss ? { iss: values.iss } : {}),
    ...(values['token-endpoint'] ? { tokenEndpoint: values['token-endpoint'] } : {}),
    clientId: values['client-id'],
    scope: values.scope,
    privateKey: await readKey(keySource),
    ...(values.alg ? { alg: values.alg as 'RS384' | 'ES384' } : {}),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  const t = await client.token();
  if (values['show-token']) {
    io.stdout(t.accessToken);
    return 0;
  }
  // Metadata only: a fingerprint identifies the token in logs without revealing it.
  const meta = {
    token_type: t.tokenType,
    scope: t.scope,
    ...(t.expiresAt !== undefined ? { expires_in: Math.max(0, t.expiresAt - Math.floor(Date.now() / 1000)), expires_at: new Date(t.expiresAt * 1000).toISOString() } : {}),
    token_endpoint: t.tokenEndpoint,
    client_id: t.clientId,
    token_length: t.accessToken.length,
    token_sha256: createHash('sha256').update(t.accessToken).digest('hex').slice(0, 16),
  };
  io.stdout(values.json ? JSON.stringify(meta, null, 2) : Object.entries(meta).map(([k, v]) => `${k.padEnd(15)} ${v}`).join('\n'));
  return 0;
}
