import { randomUUID } from 'node:crypto';
import { decodeJwt, importJWK, SignJWT } from 'jose';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { fhirUserFor } from '../oidc/accounts.js';
import { parseResourceScope, parseScopeString } from '../scopes.js';
import type { SandboxState } from '../state.js';

type Body = Record<string, unknown>;

/**
 * cerner: OAuth errors carry an `error_uri` and no `error_description` (fhir.cerner.com/authorization;
 * e.g. `{"error":"invalid_client","error_uri":"…urn:cerner:error:authorization-server:oauth2:token:…"}`
 * in forums.oracle.com "Cannot get access token from cerner using postman").
 */
export function cernerError(state: SandboxState, endpoint: string, body: Body): Body {
  const { error_description: _dropped, ...rest } = body;
  const code = String(body.error ?? 'server_error').replaceAll('_', '-');
  return { ...rest, error_uri: `urn:cerner:error:authorization-server:oauth2:${endpoint}:${code}:${state.tenant ?? ''}` };
}

/** Applies the profile's error shape to an error body the sandbox answers itself. */
export function profileError(state: SandboxState, endpoint: string, body: Body): Body {
  return state.profile === 'cerner' ? cernerError(state, endpoint, body) : body;
}

/**
 * epic: the granted scope is echoed in SMART v1 form with a trailing space, e.g.
 * `"scope": "launch patient/Patient.read patient/Observation.read "` (fhir.epic.com/Documentation?docId=oauth2tutorial,
 * token response example; v2 scopes only on Aug/Nov 2024+ sites).
 */
export function epicScopeEcho(scope: string): string {
  const out: string[] = [];
  for (const raw of parseScopeString(scope)) {
    const parsed = parseResourceScope(raw);
    if (!parsed || parsed.version === 1 || [...parsed.constraints].length) {
      out.push(raw);
      continue;
    }
    const base = `${parsed.context}/${parsed.resourceType}`;
    if (parsed.permissions.has('r') || parsed.permissions.has('s')) out.push(`${base}.read`);
    if (parsed.permissions.has('c') || parsed.permissions.has('u') || parsed.permissions.has('d')) out.push(`${base}.write`);
  }
  return `${[...new Set(out)].join(' ')} `;
}

async function sign(state: SandboxState, payload: Body): Promise<string> {
  const alg = String(state.signingKey.alg);
  const key = await importJWK(state.signingKey, alg);
  return new SignJWT(payload).setProtectedHeader({ alg, kid: state.signingKey.kid!, typ: 'JWT' }).sign(key);
}

/**
 * oidc-provider middleware (outermost, so it sees the final SMART token response): the per-profile
 * rewrites of discovery, token and error responses.
 */
export function installProfileResponses(provider: Provider, state: SandboxState): void {
  const { profile } = state;
  if (profile === 'strict' || profile === 'v1') return;
  provider.use(async (koa, next) => {
    await next();
    const ctx = koa as KoaContextWithOIDC;
    const route = ctx.oidc?.route;
    const body = ctx.body as Body | undefined;
    if (!route || !body || typeof body !== 'object' || Buffer.isBuffer(body) || typeof (body as { pipe?: unknown }).pipe === 'function') return;

    if (route === 'discovery' && profile === 'medplum') {
      // medplum: packages/server/src/wellknown.ts advertises `id_token_signing_alg_values_supported: ['RS256']`
      // whatever key actually signs (ES256 here).
      ctx.body = { ...body, id_token_signing_alg_values_supported: ['RS256'] };
      return;
    }

    if (typeof body.error === 'string') {
      if (profile === 'cerner') ctx.body = cernerError(state, route, body);
      // medplum: client authentication failures are `400 invalid_request` ("Invalid client" / "Invalid secret";
      // packages/server/src/oauth/token.ts validateClientIdAndSecret, sendTokenError).
      if (profile === 'medplum' && route === 'token' && body.error === 'invalid_client') {
        ctx.status = 400;
        ctx.remove('www-authenticate');
        ctx.body = { error: 'invalid_request', error_description: 'Invalid client' };
      }
      return;
    }

    if (route !== 'token' || ctx.status !== 200 || typeof body.access_token !== 'string') return;
    const grantType = String(ctx.oidc.params?.grant_type ?? '');
    const next_: Body = { ...body };

    if (profile === 'launcher' && grantType === 'refresh_token' && typeof body.id_token === 'string') {
      // launcher: the refresh token carries no client_id, so the id_token minted on refresh has no `aud`
      // (smart-launcher-v2 backend/routes/auth/token.ts generateRefreshToken / createIdToken).
      const { aud: _aud, ...claims } = decodeJwt(body.id_token);
      next_.id_token = await sign(state, claims);
    }

    if (profile === 'medplum' && !body.id_token && (grantType === 'authorization_code' || grantType === 'refresh_token')) {
      // medplum: every login gets an id_token, `openid` requested or not (packages/server/src/oauth/utils.ts
      // getAuthTokens always calls generateIdToken; token.ts sendTokenResponse returns it).
      const accountId = ctx.oidc.entities.AccessToken?.accountId;
      if (accountId) {
        const now = Math.floor(Date.now() / 1000);
        const nonce = ctx.oidc.entities.AuthorizationCode?.nonce;
        next_.id_token = await sign(state, {
          iss: state.issuer, sub: accountId, aud: ctx.oidc.client?.clientId, iat: now, exp: now + 3600,
          login_id: randomUUID(), fhirUser: fhirUserFor(state, accountId), ...(nonce ? { nonce } : {}),
        });
      }
    }

    if (profile === 'epic') {
      if (state.jwtAccessTokens) {
        next_.access_token = await state.jwtAccessTokens.wrap(body.access_token, {
          sub: ctx.oidc.entities.AccessToken?.accountId,
          clientId: ctx.oidc.client?.clientId ?? '',
          scope: String(body.scope ?? ''),
          expiresIn: Number(body.expires_in) || state.options.accessTokenTtl,
        });
      }
      // epic: `need_patient_banner` comes as the string "false"/"true" (fhir.epic.com/Documentation?docId=oauth2tutorial).
      if (typeof body.need_patient_banner === 'boolean') next_.need_patient_banner = String(body.need_patient_banner);
      if (typeof body.scope === 'string') next_.scope = epicScopeEcho(body.scope);
    }

    if (profile === 'cerner') {
      // cerner: refresh responses carry no new refresh_token; the original keeps working
      // (fhir.cerner.com/authorization, "Refresh tokens").
      if (grantType === 'refresh_token') delete next_.refresh_token;
      // cerner: `expires_in` as a string ("570"), a shape lenient clients must accept (RFC 6749 §5.1 says number).
      if (body.expires_in !== undefined) next_.expires_in = String(body.expires_in);
    }
    ctx.body = next_;
  });
}
