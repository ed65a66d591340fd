import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fileRegistrationStore, registerClient, type ClientRegistrationMetadata, type TokenEndpointAuthMethod } from '@smart-launch/core/registration';
import { readKey, UsageError, type CliIo } from '../io.js';

export const REGISTER_HELP = `smart-launch register <fhir base url> --auth none|client_secret_basic|private_key_jwt
    [--name <client name>] [--redirect-uri <uri>]... [--grant-type <type>]... [--scope <scopes>]
    [--private-key <file> | --jwks-uri <url>] [--out <registrations.json>] [--show-secret] [--json]
  Registers a client (RFC 7591) at the server's registration_endpoint. The initial access token, if
  the server needs one, comes from $SMART_INITIAL_ACCESS_TOKEN (never from the command line).
  --out saves the result per issuer (mode 0600; feed it back with issuerConfigFrom()). A client
  secret is printed only with --show-secret; a symmetric client needs --out or --show-secret.`;

const METHODS = ['none', 'client_secret_basic', 'private_key_jwt'];

export async function register(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      auth: { type: 'string' },
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'grant-type': { type: 'string', multiple: true },
      scope: { type: 'string' },
      'private-key': { type: 'string' },
      'jwks-uri': { type: 'string' },
      'jwks-file': { type: 'string' },
      out: { type: 'string' },
      'show-secret': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError('expected: register <fhir base url> --auth ...');
  const auth = values.auth;
  if (!auth || !METHODS.includes(auth)) throw new UsageError(`--auth must be one of ${METHODS.join(', ')}`);
  if (auth === 'client_secret_basic' && !values.out && !values['show-secret']) throw new UsageError('a client_secret_basic client needs --out <file> or --show-secret (the secret is shown only once)');
  const metadata: ClientRegistrationMetadata = { token_endpoint_auth_method: auth as TokenEndpointAuthMethod };
  if (values.name) metadata.client_name = values.name;
  if (values['redirect-uri']?.length) metadata.redirect_uris = values['redirect-uri'];
  if (values['grant-type']?.length) metadata.grant_types = values['grant-type'];
  if (values.scope) metadata.scope = values.scope;
  if (values['jwks-uri']) metadata.jwks_uri = values['jwks-uri'];
  if (values['jwks-file']) metadata.jwks = JSON.parse(await readFile(values['jwks-file'], 'utf8')) as ClientRegistrationMetadata['jwks'];
  const privateKey = values['private-key'] ? await readKey(values['private-key']) : undefined;
  const iat = io.env.SMART_INITIAL_ACCESS_TOKEN;
  const client = await registerClient(positionals[0]!, metadata, {
    ...(privateKey ? { privateKey } : {}),
    ...(iat ? { initialAccessToken: iat } : {}),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  if (values.out) await fileRegistrationStore(values.out).set(client.iss, client);
  const secret = client.clientSecret === undefined ? undefined : values['show-secret'] ? client.clientSecret : `(saved in ${values.out})`;
  if (values.json) {
    io.stdout(JSON.stringify({ iss: client.iss, client_id: client.clientId, token_endpoint_auth_method: client.tokenEndpointAuthMethod, ...(secret ? { client_secret: secret } : {}), metadata: client.metadata }, null, 2));
    return 0;
  }
  const lines = [`registered at ${client.iss}`, `  client_id                  ${client.clientId}`, `  token_endpoint_auth_method ${client.tokenEndpointAuthMethod}`];
  if (secret) lines.push(`  client_secret              ${secret}`);
  if (client.clientSecretExpiresAt) lines.push(`  client_secret_expires_at   ${new Date(client.clientSecretExpiresAt * 1000).toISOString()}`);
  if (values.out) lines.push(`  saved to                   ${values.out}`);
  io.stdout(lines.join('\n'));
  return 0;
}
