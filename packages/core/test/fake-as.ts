import { createServer, type IncomingMessage, type Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * A scriptable authorization server for error paths a real server can't produce on demand
 * (bad id_token signature, wrong nonce, missing patient, endpoint switches...). Records requests.
 */
export interface FakeAs {
  url: string;
  fhirBase: string;
  requests: { path: string; method: string; headers: IncomingMessage['headers']; body: string }[];
  smartConfig: Record<string, unknown>;
  /** Builds the token response for a code request; default: a valid one. */
  tokenResponse: (form: URLSearchParams) => Promise<{ status: number; body: Record<string, unknown> }>;
  /** FHIR answers by path and bearer token; default 404. */
  fhir: (path: string, token: string | undefined) => { status: number; body: unknown };
  /** Answer for `{fhir}/metadata`; default 404. */
  capabilityStatement?: Record<string, unknown>;
  smartConfigStatus: number;
  /** OpenID configurations by path (e.g. `/.well-known/openid-configuration`); default none (404). */
  openidConfigs: Record<string, Record<string, unknown>>;
  signIdToken(claims: Record<string, unknown>, opts?: { wrongKey?: boolean; alg?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeAs(): Promise<FakeAs> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  // An EC key too (Medplum signs ES256): ES* id_tokens are signed with it.
  const ec = await generateKeyPair('ES256');
  const otherEc = await generateKeyPair('ES256');
  const ecJwk: JWK = { ...(await exportJWK(ec.publicKey)), kid: 'k2', use: 'sig' };
  let server!: Server;
  const fake: FakeAs = {
    url: '',
    fhirBase: '',
    requests: [],
    smartConfig: {},
    fhir: () => ({ status: 404, body: { resourceType: 'OperationOutcome' } }),
    smartConfigStatus: 200,
    openidConfigs: {},
    tokenResponse: async () => ({ status: 200, body: { access_token: 'AT-1', token_type: 'Bearer', expires_in: 3600, scope: 'openid fhirUser patient/*.rs launch/patient', patient: 'p1', refresh_token: 'RT-1' } }),
    async signIdToken(claims, opts = {}) {
      if (opts.alg?.startsWith('ES')) return new SignJWT(claims).setProtectedHeader({ alg: opts.alg, kid: 'k2' }).sign(opts.wrongKey ? otherEc.privateKey : ec.privateKey);
      return new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: 'k1' }).sign(opts.wrongKey ? other.privateKey : privateKey);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      const path = new URL(req.url!, fake.url).pathname;
      fake.requests.push({ path, method: req.method!, headers: req.headers, body });
      const json = (status: number, o: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(o));
      };
      if (path === '/fhir/.well-known/smart-configuration') return json(fake.smartConfigStatus, fake.smartConfigStatus === 200 ? fake.smartConfig : { error: 'nope' });
      if (path.endsWith('/.well-known/openid-configuration')) return fake.openidConfigs[path] ? json(200, fake.openidConfigs[path]) : json(404, {});
      if (path === '/fhir/metadata') return fake.capabilityStatement ? json(200, fake.capabilityStatement) : json(404, {});
      if (path.startsWith('/fhir/')) {
        const r = fake.fhir(path.slice(5), req.headers.authorization?.replace(/^Bearer /, ''));
        return json(r.status, r.body);
      }
      if (path === '/jwks') return json(200, { keys: [jwk, ecJwk] });
      if (path === '/token') {
        const r = await fake.tokenResponse(new URLSearchParams(body));
        return json(r.status, r.body);
      }
      if (path === '/revoke') return json(200, {});
      json(404, { error: 'not_found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  fake.fhirBase = `${fake.url}/fhir`;
  fake.smartConfig = {
    issuer: fake.url,
    jwks_uri: `${fake.url}/jwks`,
    authorization_endpoint: `${fake.url}/authorize`,
    token_endpoint: `${fake.url}/token`,
    revocation_endpoint: `${fake.url}/revoke`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    capabilities: ['launch-ehr', 'launch-standalone', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric', 'sso-openid-connect'],
    code_challenge_methods_supported: ['S256'],
  };
  return fake;
}

export const FAKE_APP = 'http://127.0.0.1:3999';

export const cookiesOf = (res: Response): string => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
export const sessionCookie = (setCookies: string[]): string =>
  setCookies.filter((c) => c.startsWith('smart_session~') && !/Max-Age=0/.test(c)).map((c) => c.split(';')[0]).join('; ');

/** A token response for the fake AS: patient p1, 1 h, a refresh token; override any field. */
export const fakeTokens = (over: Record<string, unknown> = {}) => ({ access_token: 'AT-1', token_type: 'Bearer', expires_in: 3600, scope: 'launch/patient patient/*.rs offline_access', patient: 'p1', refresh_token: 'RT-1', ...over });

/** Launch + callback through `smart.handle()` against the fake AS answering `body`; the session cookie. */
export async function fakeLogin(smart: { handle(r: Request): Promise<Response | undefined> }, as: FakeAs, body: Record<string, unknown> = fakeTokens(), launchQuery = ''): Promise<string> {
  const launch = (await smart.handle(new Request(`${FAKE_APP}/launch${launchQuery}`)))!;
  if (launch.status !== 302) throw new Error(`launch answered ${launch.status}`);
  const state = new URL(launch.headers.get('location')!).searchParams.get('state')!;
  const saved = as.tokenResponse;
  as.tokenResponse = async () => ({ status: 200, body });
  try {
    const cb = (await smart.handle(new Request(`${FAKE_APP}/callback?code=c&state=${state}&iss=${encodeURIComponent(as.url)}`, { headers: { cookie: cookiesOf(launch) } })))!;
    if (cb.status !== 302) throw new Error(`callback answered ${cb.status}: ${await cb.text()}`);
    return sessionCookie(cb.headers.getSetCookie());
  } finally {
    as.tokenResponse = saved;
  }
}
