import { createHash, randomBytes } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';

export const REDIRECT_URI = 'http://127.0.0.1:5173/callback';

/** A tiny cookie jar: enough for oidc-provider's session and interaction cookies. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(res: Response): void {
    for (const header of res.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/iu.test(header) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeResult {
  /** Final redirect to the client's redirect_uri. */
  callback: URL;
  code: string | null;
  verifier: string;
  state: string;
}

/** Follows redirects (with cookies) until the authorization server redirects to `redirectUri`. */
export async function follow(start: Response, base: string, jar: CookieJar, redirectUri = REDIRECT_URI): Promise<URL> {
  let res = start;
  for (let i = 0; i < 10; i++) {
    jar.store(res);
    const location = res.headers.get('location');
    if (!location) throw new Error(`expected a redirect, got ${res.status}: ${await res.text()}`);
    const next = new URL(location, base);
    if (next.toString().startsWith(redirectUri)) return next;
    res = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
  }
  throw new Error('too many redirects');
}

export interface AuthorizeOptions {
  clientId: string;
  scope: string;
  aud?: string | undefined;
  launch?: string;
  method?: 'GET' | 'POST';
  redirectUri?: string;
  jar?: CookieJar;
}

/** A started sandbox as the helpers need it (profiles move the authorization endpoint, e.g. cerner tenants). */
export interface SandboxLike { origin: string; fhirBaseUrl: string; authorizationEndpoint?: string }

export async function authorize(sandbox: SandboxLike, opts: AuthorizeOptions): Promise<AuthorizeResult> {
  const { verifier, challenge } = pkce();
  const state = randomBytes(16).toString('base64url');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: opts.clientId,
    redirect_uri: opts.redirectUri ?? REDIRECT_URI,
    scope: opts.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  if (opts.aud !== undefined) params.set('aud', opts.aud);
  else if (!('aud' in opts)) params.set('aud', sandbox.fhirBaseUrl);
  if (opts.launch) params.set('launch', opts.launch);
  const jar = opts.jar ?? new CookieJar();
  const endpoint = sandbox.authorizationEndpoint ?? `${sandbox.origin}/oidc/authorize`;
  const res = opts.method === 'POST'
    ? await fetch(endpoint, { method: 'POST', redirect: 'manual', body: params, headers: { cookie: jar.header() } })
    : await fetch(`${endpoint}?${params}`, { redirect: 'manual', headers: { cookie: jar.header() } });
  const callback = await follow(res, sandbox.origin, jar, opts.redirectUri ?? REDIRECT_URI);
  return { callback, code: callback.searchParams.get('code'), verifier, state };
}

export async function token(origin: string, body: Record<string, string>, headers: Record<string, string> = {}) {
  return tokenAt(`${origin}/oidc/token`, body, headers);
}

/** POSTs a token request to a full token endpoint URL. */
export async function tokenAt(endpoint: string, body: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(endpoint, { method: 'POST', body: new URLSearchParams(body), headers });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

export function basic(id: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` };
}

/** SMART 2.2 client-confidential-asymmetric client assertion. */
export async function assertion(clientId: string, aud: string, jwk: JWK): Promise<Record<string, string>> {
  const key = await importJWK(jwk, jwk.alg);
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: jwk.alg!, kid: jwk.kid!, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(aud)
    .setExpirationTime('5m')
    .setJti(randomBytes(12).toString('hex'))
    .sign(key);
  return { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt };
}

export async function fhirGet(url: string, accessToken?: string) {
  const res = await fetch(url, { headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

/** Authorization code flow for demo-public, returning the token response. */
export async function publicLogin(sandbox: { origin: string; fhirBaseUrl: string }, scope: string, launch?: string) {
  const a = await authorize(sandbox, { clientId: 'demo-public', scope, ...(launch ? { launch } : {}) });
  if (!a.code) throw new Error(`no code: ${a.callback}`);
  return token(sandbox.origin, {
    grant_type: 'authorization_code', code: a.code, code_verifier: a.verifier, redirect_uri: REDIRECT_URI, client_id: 'demo-public',
  });
}
