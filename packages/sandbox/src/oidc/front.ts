import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import type Provider from 'oidc-provider';
import { isForm, readBody, sendHtml, sendJson } from '../http.js';
import { cernerError, profileError } from '../profiles/responses.js';
import { parseResourceScope, parseScopeString } from '../scopes.js';
import type { SandboxState } from '../state.js';
import { DynamicScopes } from './dynamic-scopes.js';
import { OIDC_ROUTES } from './provider.js';

/** Best-effort client id of a token request, only to match simulated failures (never trusted). */
function clientIdOf(req: IncomingMessage, form: URLSearchParams): string | undefined {
  const basic = /^Basic (.+)$/iu.exec(req.headers.authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const id = decoded.slice(0, Math.max(0, decoded.indexOf(':')));
    try {
      return decodeURIComponent(id);
    } catch {
      return id;
    }
  }
  const assertion = form.get('client_assertion');
  if (assertion) {
    try {
      return decodeJwt(assertion).iss;
    } catch {
      return undefined;
    }
  }
  return form.get('client_id') ?? undefined;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * launcher, medplum: HTTP Basic client credentials are compared as sent, without the RFC 6749 §2.3.1
 * URL-decoding (smart-launcher-v2 backend/routes/auth/token.ts validateBasicAuth; medplum
 * packages/server/src/oauth/token.ts parseAuthorizationHeader: base64-decode and split on ':').
 * oidc-provider always decodes, so the raw id and secret are re-encoded: it then compares them literally.
 */
function basicWithoutUrlDecoding(req: IncomingMessage): void {
  const basic = /^Basic\s+(\S+)$/iu.exec(req.headers.authorization ?? '');
  if (!basic?.[1]) return;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return;
  const raw = `${encodeURIComponent(decoded.slice(0, colon))}:${encodeURIComponent(decoded.slice(colon + 1))}`;
  req.headers.authorization = `Basic ${Buffer.from(raw).toString('base64')}`;
}

/** Rewrites this response's redirect Location when it carries an OAuth error (RFC 6749 §4.1.2.1). */
function onErrorRedirect(res: ServerResponse, rewrite: (location: URL) => void): void {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name: string, value: number | string | readonly string[]) => {
    if (name.toLowerCase() === 'location' && typeof value === 'string') {
      try {
        const url = new URL(value);
        if (url.searchParams.has('error')) {
          rewrite(url);
          return setHeader(name, url.toString());
        }
      } catch {
        // a relative Location (an interaction page) is no error redirect
      }
    }
    return setHeader(name, value);
  };
}

/**
 * Node-level front of oidc-provider: reads form bodies once (oidc-provider then uses `req.body`),
 * lets SMART scopes through, counts token requests, plays simulated failures and the profile's
 * request-side behaviours.
 */
export function makeOidcFront(provider: Provider, state: SandboxState) {
  const callback = provider.callback();
  // v1 profile: only SMART 1.0 scopes (`patient/*.read`) are known; v2 ones (`.rs`) are dropped
  // (hl7.org/fhir/smart-app-launch/1.0.0/scopes-and-launch-context: read | write | *).
  const scopes = new DynamicScopes(provider, state.profile === 'v1' ? 1 : undefined);
  const { profile } = state;

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (profile === 'launcher' || profile === 'medplum') basicWithoutUrlDecoding(req);
    const isAuthorize = url.pathname === OIDC_ROUTES.authorization || url.pathname.startsWith(`${OIDC_ROUTES.authorization}/`);
    if (profile === 'cerner' && isAuthorize) {
      onErrorRedirect(res, (location) => {
        const shaped = cernerError(state, 'authorize', Object.fromEntries(location.searchParams));
        location.search = new URLSearchParams(shaped as Record<string, string>).toString();
      });
    }
    if (url.pathname === OIDC_ROUTES.authorization) scopes.register(url.searchParams.get('scope') ?? undefined);
    if (req.method === 'POST' && isForm(req)) {
      const raw = await readBody(req);
      const form = new URLSearchParams(raw);
      scopes.register(form.get('scope') ?? undefined);
      if (url.pathname === OIDC_ROUTES.token && (await tokenFront(req, res, form))) return;
      if ((url.pathname === OIDC_ROUTES.introspection || url.pathname === OIDC_ROUTES.revocation) && state.jwtAccessTokens) {
        // epic: the JWT access tokens handed out wrap opaque ones; introspection and revocation take either.
        const opaque = await state.jwtAccessTokens.resolve(form.get('token') ?? '');
        if (opaque) form.set('token', opaque);
      }
      if (url.pathname === OIDC_ROUTES.authorization) {
        // epic: "POST … to the authorize endpoint … is supported only for EHR launch"
        // (fhir.epic.com/Documentation?docId=oauth2, "Using HTTP POST for the authorize request").
        if (profile === 'epic' && !form.get('launch')) {
          return sendHtml(res, 400, 'authorize by POST is accepted for EHR launches only');
        }
        // launcher: an error redirect takes `state` from the query string only, so a POSTed request's error
        // carries none (smart-launcher-v2 backend/errors.ts OAuthError.render reads req.query.state).
        if (profile === 'launcher') onErrorRedirect(res, (location) => location.searchParams.delete('state'));
        // SMART 2.2 app-launch step 4 (authorize-post). oidc-provider only takes POST here with
        // SameSite=None cookies, which need https; the form is handed to it as the equivalent GET.
        req.method = 'GET';
        req.url = `${OIDC_ROUTES.authorization}?${form}`;
        if (state.asPrefix) (req as IncomingMessage & { originalUrl?: string }).originalUrl = `${state.asPrefix}${req.url}`;
        delete req.headers['content-type'];
        delete req.headers['content-length'];
      } else {
        (req as IncomingMessage & { body?: string }).body = form.toString();
      }
    }
    callback(req, res);
  };

  /** Returns true when it answered the request itself. */
  async function tokenFront(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<boolean> {
    const grantType = form.get('grant_type') ?? undefined;
    state.stats.countToken(grantType);
    const clientId = clientIdOf(req, form);
    const kinds = grantType === 'refresh_token'
      ? (['token_500', 'token_slow', 'refresh_invalid_grant'] as const)
      : (['token_500', 'token_slow'] as const);
    const failure = state.failures.take([...kinds], clientId);
    const error = (status: number, body: Record<string, unknown>) => {
      sendJson(res, status, profileError(state, 'token', body));
      return true;
    };
    if (failure?.kind === 'token_500') return error(500, { error: 'server_error', error_description: 'simulated failure: token_500' });
    if (failure?.kind === 'refresh_invalid_grant') {
      return error(400, { error: 'invalid_grant', error_description: 'simulated failure: refresh_invalid_grant' });
    }
    if (failure?.kind === 'token_slow') await delay(failure.delayMs ?? 5000);

    if (profile === 'epic' && form.get('client_assertion') && (await epicAssertionRefused(form.get('client_assertion')!))) {
      return error(401, { error: 'invalid_client', error_description: 'client assertion needs a jku header naming the registered JWK Set URL' });
    }
    if (profile === 'medplum' && grantType === 'refresh_token') {
      // medplum: a rotated-out refresh token (its refresh secret replaced on use) is answered
      // `400 invalid_request` "Invalid token" (packages/server/src/oauth/token.ts handleRefreshToken),
      // and the login is not revoked.
      const rt = await provider.RefreshToken.find(form.get('refresh_token') ?? '');
      if (rt?.consumed) return error(400, { error: 'invalid_request', error_description: 'Invalid token' });
    }
    if (grantType === 'client_credentials') {
      // SMART 2.2 backend services: only system/ scopes make sense without a user.
      const system = parseScopeString(form.get('scope') ?? '').filter((s) => {
        const parsed = parseResourceScope(s);
        return parsed?.context === 'system' && (profile !== 'v1' || parsed.version === 1);
      });
      if (!system.length) return error(400, { error: 'invalid_scope', error_description: 'client_credentials needs system/ scopes' });
      form.set('scope', system.join(' '));
    }
    return false;
  }

  /**
   * epic: a private_key_jwt assertion must carry `jku` (the registered JWK Set URL) when the client
   * registered one, and ES256/ES384 assertions are only accepted with a JKU
   * (fhir.epic.com/Documentation?docId=oauth2, "JSON Web Token (JWT)" header: jku, ES384 requires a JWK Set URL).
   */
  async function epicAssertionRefused(assertion: string): Promise<boolean> {
    let header: { jku?: string; alg?: string };
    let iss: string | undefined;
    try {
      header = decodeProtectedHeader(assertion) as { jku?: string; alg?: string };
      iss = decodeJwt(assertion).iss;
    } catch {
      return false; // malformed: oidc-provider refuses it with its own error
    }
    const client = iss ? await provider.Client.find(iss) : undefined;
    if (!client) return false;
    const registered = client.jwksUri;
    if (registered) return header.jku !== registered;
    return String(header.alg ?? '').startsWith('ES') && !header.jku;
  }
}
