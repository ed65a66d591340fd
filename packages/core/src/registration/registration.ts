/**
 * OAuth 2.0 Dynamic Client Registration (RFC 7591) at a SMART server's `registration_endpoint`
 * (RFC 7591; https://hl7.org/fhir/smart-app-launch/conformance.html `registration_endpoint`), for public, symmetric and asymmetric clients, with an optional
 * initial access token. Results can be stored per issuer and turned into a SmartIssuerConfig.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
import type { PrivateKeyInput, SmartIssuerConfig } from '../config.js';
import { ConfigError, ErrorCode, SmartError, type SmartErrorOptions } from '../errors.js';
import { publicJwks } from '../oauth/jwks.js';
import { ResponseTooLargeError } from '../oauth/limits.js';
import { checkEndpoint, privateKeyList, resolveHttp, type ServiceHttpOptions } from '../oauth/service-http.js';
import { normalizeBaseUrl } from '../url.js';

export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** RFC 7591 §2 client metadata; unknown members are sent as given. */
export interface ClientRegistrationMetadata {
  client_name?: string;
  redirect_uris?: string[];
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  grant_types?: string[];
  response_types?: string[];
  scope?: string;
  /** Public keys inline; RFC 7591 §2: MUST NOT be sent together with `jwks_uri`. */
  jwks?: { keys: JWK[] };
  jwks_uri?: string;
  software_statement?: string;
  [key: string]: unknown;
}

export interface RegisterOptions extends ServiceHttpOptions {
  /** RFC 7591 §3: initial access token, when the server requires one. Sent as a Bearer token. */
  initialAccessToken?: string;
  /** Private key(s) whose public halves are registered as `jwks` (private_key_jwt without jwks_uri). */
  privateKey?: PrivateKeyInput | PrivateKeyInput[];
}

/** What the server answered (RFC 7591 §3.2.1). Contains secrets: store it like one. */
export interface RegisteredClient {
  /** FHIR base URL the client was registered for. */
  iss: string;
  clientId: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  clientSecret?: string;
  /** Epoch seconds; 0 = never. */
  clientSecretExpiresAt?: number;
  clientIdIssuedAt?: number;
  /** RFC 7592 management, when the server offers it. */
  registrationAccessToken?: string;
  registrationClientUri?: string;
  /** Every metadata field the server registered (secrets removed). */
  metadata: Record<string, unknown>;
}

export class RegistrationError extends SmartError {
  override readonly name = 'RegistrationError';
  constructor(message: string, options: SmartErrorOptions = {}) {
    super(ErrorCode.REGISTRATION_FAILED, message, options);
  }
}

const WHERE = 'registerClient';
const METHODS: TokenEndpointAuthMethod[] = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const SECRET_FIELDS = new Set(['client_secret', 'registration_access_token']);

/** Builds and checks the metadata to send (throws ConfigError before any request). */
export async function registrationMetadata(metadata: ClientRegistrationMetadata, privateKey?: PrivateKeyInput | PrivateKeyInput[]): Promise<ClientRegistrationMetadata> {
  if (!metadata || typeof metadata !== 'object') throw new ConfigError(`${WHERE}: metadata must be an object`);
  const keys = privateKeyList(WHERE, privateKey, undefined);
  const out: ClientRegistrationMetadata = { ...metadata };
  if (keys.length) {
    if (out.jwks || out.jwks_uri) throw new ConfigError(`${WHERE}: give \`privateKey\` or metadata \`jwks\`/\`jwks_uri\`, not both`);
    out.jwks = await publicJwks(keys);
    out.token_endpoint_auth_method ??= 'private_key_jwt';
  }
  const method = out.token_endpoint_auth_method;
  if (!method || !METHODS.includes(method)) throw new ConfigError(`${WHERE}: \`token_endpoint_auth_method\` must be one of ${METHODS.join(', ')}`);
  out.grant_types ??= ['authorization_code', 'refresh_token'];
  if (!Array.isArray(out.grant_types) || out.grant_types.length === 0) throw new ConfigError(`${WHERE}: \`grant_types\` must be a non-empty list`);
  const code = out.grant_types.includes('authorization_code');
  out.response_types ??= code ? ['code'] : [];
  if (code) {
    // SMART app-launch §Register: fixed, fully-specified redirect URIs (RFC 6749 3.1.2: no fragment).
    if (!Array.isArray(out.redirect_uris) || out.redirect_uris.length === 0) throw new ConfigError(`${WHERE}: \`redirect_uris\` is required for authorization_code clients`);
    for (const uri of out.redirect_uris) {
      let u: URL;
      try {
        u = new URL(uri);
      } catch {
        throw new ConfigError(`${WHERE}: redirect URI "${uri}" is not absolute`);
      }
      if (u.hash) throw new ConfigError(`${WHERE}: redirect URI "${uri}" must not have a fragment`);
    }
  }
  // SMART backend services: client_credentials only with private_key_jwt.
  if (out.grant_types.includes('client_credentials') && method !== 'private_key_jwt') {
    throw new ConfigError(`${WHERE}: client_credentials (backend services) clients must use private_key_jwt`);
  }
  if (method === 'private_key_jwt') {
    // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
    if (!!out.jwks === !!out.jwks_uri) throw new ConfigError(`${WHERE}: private_key_jwt needs exactly one of \`jwks\`, \`jwks_uri\` or \`privateKey\``);
    if (out.jwks_uri !== undefined) checkEndpoint(WHERE, 'jwks_uri', out.jwks_uri, false);
  }
  if (out.jwks) {
    if (!Array.isArray(out.jwks.keys) || out.jwks.keys.length === 0) throw new ConfigError(`${WHERE}: \`jwks\` must be a non-empty JWK Set`);
    // Never send a private key to a server (SMART: "protect the private key").
    if (out.jwks.keys.some((k) => PRIVATE_MEMBERS.some((m) => m in k))) throw new ConfigError(`${WHERE}: \`jwks\` contains a private key; register public keys only (or pass \`privateKey\`)`);
  }
  return out;
}

/**
 * RFC 7591 §3.1: POSTs `metadata` as JSON to the `registration_endpoint` advertised in `iss`'s
 * smart-configuration and returns the registered client.
 */
export async function registerClient(iss: string, metadata: ClientRegistrationMetadata, options: RegisterOptions = {}): Promise<RegisteredClient> {
  const http = resolveHttp(options, WHERE);
  const base = normalizeBaseUrl(checkEndpoint(WHERE, 'iss', iss, http.allowInsecureHttp));
  const body = await registrationMetadata(metadata, options.privateKey);
  const doc = await http.discovery.get(base);
  // SMART conformance (registration_endpoint, https://hl7.org/fhir/smart-app-launch/conformance.html): registration only where `registration_endpoint` exists.
  if (!doc.registration_endpoint) throw new RegistrationError(`${base} does not advertise a registration_endpoint`, { status: 502 });
  const methods = doc.token_endpoint_auth_methods_supported;
  if (Array.isArray(methods) && body.token_endpoint_auth_method !== 'none' && !methods.includes(body.token_endpoint_auth_method!)) {
    throw new RegistrationError(`${base} does not support token_endpoint_auth_method ${body.token_endpoint_auth_method}`, { status: 400 });
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.initialAccessToken) headers.authorization = `Bearer ${options.initialAccessToken}`;
  let res: Response;
  try {
    res = await http.authFetch(doc.registration_endpoint, { method: 'POST', headers, body: JSON.stringify(body), redirect: 'manual', signal: AbortSignal.timeout(http.httpTimeoutMs) });
  } catch (cause) {
    if (cause instanceof ResponseTooLargeError) throw cause;
    const timeout = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    throw new RegistrationError(`Client registration at ${base} ${timeout ? 'timed out' : 'failed: network error'}`, { cause, status: timeout ? 504 : 502 });
  }
  const json = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (res.status !== 201 && res.status !== 200) {
    // RFC 7591 §3.2.2: error and error_description (invalid_redirect_uri, invalid_client_metadata...).
    const oauth = json && typeof json.error === 'string'
      ? { error: json.error, ...(typeof json.error_description === 'string' ? { error_description: json.error_description.slice(0, 300) } : {}) }
      : undefined;
    const reason = oauth ? `${oauth.error}${oauth.error_description ? ` (${oauth.error_description})` : ''}` : `HTTP ${res.status}`;
    throw new RegistrationError(`Client registration at ${base} failed: ${reason}`, { status: res.status === 401 || res.status === 403 ? res.status : 502, ...(oauth ? { oauth } : {}) });
  }
  if (!json || typeof json.client_id !== 'string' || !json.client_id) throw new RegistrationError(`Client registration at ${base}: the answer has no client_id`, { status: 502 });
  const method = (typeof json.token_endpoint_auth_method === 'string' ? json.token_endpoint_auth_method : body.token_endpoint_auth_method) as TokenEndpointAuthMethod;
  if ((method === 'client_secret_basic' || method === 'client_secret_post') && typeof json.client_secret !== 'string') {
    throw new RegistrationError(`Client registration at ${base}: a ${method} client got no client_secret`, { status: 502 });
  }
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const out: RegisteredClient = {
    iss: base,
    clientId: json.client_id,
    tokenEndpointAuthMethod: method,
    metadata: Object.fromEntries(Object.entries(json).filter(([k]) => !SECRET_FIELDS.has(k))),
  };
  if (typeof json.client_secret === 'string') out.clientSecret = json.client_secret;
  if (num(json.client_secret_expires_at) !== undefined) out.clientSecretExpiresAt = num(json.client_secret_expires_at)!;
  if (num(json.client_id_issued_at) !== undefined) out.clientIdIssuedAt = num(json.client_id_issued_at)!;
  if (typeof json.registration_access_token === 'string') out.registrationAccessToken = json.registration_access_token;
  if (typeof json.registration_client_uri === 'string') out.registrationClientUri = json.registration_client_uri;
  return out;
}

/**
 * Turns a registration into one entry of `SmartConfig.issuers`. Asymmetric clients need the
 * private key(s) they registered; the redirect URI is the registered one when there is only one.
 */
export function issuerConfigFrom(client: RegisteredClient, extra: Partial<Omit<SmartIssuerConfig, 'iss' | 'clientId' | 'clientSecret' | 'tokenEndpointAuthMethod'>> = {}): SmartIssuerConfig {
  const out: SmartIssuerConfig = { ...extra, iss: client.iss, clientId: client.clientId };
  if (client.tokenEndpointAuthMethod === 'client_secret_basic' || client.tokenEndpointAuthMethod === 'client_secret_post') {
    out.clientSecret = client.clientSecret!;
    out.tokenEndpointAuthMethod = client.tokenEndpointAuthMethod;
  }
  if (client.tokenEndpointAuthMethod === 'private_key_jwt' && extra.privateKey === undefined) {
    throw new ConfigError(`issuerConfigFrom: client ${client.clientId} uses private_key_jwt; pass its \`privateKey\``);
  }
  const uris = client.metadata.redirect_uris;
  if (out.redirectUri === undefined && Array.isArray(uris) && uris.length === 1 && typeof uris[0] === 'string') out.redirectUri = uris[0];
  return out;
}

/** Where registrations are kept, one per issuer (FHIR base URL). */
export interface RegistrationStore {
  get(iss: string): Promise<RegisteredClient | undefined>;
  set(iss: string, client: RegisteredClient): Promise<void>;
}

/** In-memory store (tests, short-lived processes). */
export function memoryRegistrationStore(): RegistrationStore {
  const map = new Map<string, RegisteredClient>();
  return {
    get: async (iss) => map.get(normalizeBaseUrl(iss)),
    set: async (iss, client) => void map.set(normalizeBaseUrl(iss), client),
  };
}

/**
 * A JSON file `{ [iss]: RegisteredClient }`, written atomically with mode 0600 (it holds client
 * secrets and registration access tokens).
 */
export function fileRegistrationStore(path: string): RegistrationStore {
  const load = async (): Promise<Record<string, RegisteredClient>> => {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as Record<string, RegisteredClient>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new ConfigError(`fileRegistrationStore: ${path} is not a readable JSON file`);
    }
  };
  let queue: Promise<unknown> = Promise.resolve();
  return {
    get: async (iss) => (await load())[normalizeBaseUrl(iss)],
    set: (iss, client) => {
      const next = queue.then(async () => {
        const all = await load();
        all[normalizeBaseUrl(iss)] = client;
        await mkdir(dirname(path), { recursive: true });
        const tmp = `${path}.${process.pid}.tmp`;
        await writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
        await chmod(tmp, 0o600);
        await rename(tmp, path);
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}

/**
 * Returns the stored registration for `iss`, or registers and stores one. A stored client whose
 * secret has expired (RFC 7591 client_secret_expires_at) is registered again.
 */
export async function registerOnce(store: RegistrationStore, iss: string, metadata: ClientRegistrationMetadata, options: RegisterOptions = {}): Promise<RegisteredClient> {
  const existing = await store.get(iss);
  const expired = !!existing?.clientSecretExpiresAt && existing.clientSecretExpiresAt <= Date.now() / 1000;
  if (existing && !expired) return existing;
  const client = await registerClient(iss, metadata, options);
  await store.set(client.iss, client);
  return client;
}
