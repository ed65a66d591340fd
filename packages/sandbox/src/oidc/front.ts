import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { isForm, readBody, sendJson } from '../http.js';
import { parseResourceScope, parseScopeString } from '../scopes.js';
import type { SandboxState } from '../state.js';
import { DynamicScopes } from './dynamic-scopes.js';
import { OIDC_ROUTES } from './provider.js';

/** Best-effort client id of a token request, only to match simulated failures (never trusted). */
function clientIdOf(req: IncomingMessage, form: URLSearchParams): string | undefined {
  const basic = /^Basic (.+)$/iu.exec(req.headers.authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    return decodeURIComponent(decoded.slice(0, Math.max(0, decoded.indexOf(':'))));
  }
  const assertion = form.get('client_assertion');
  if (assertion) {
    try {
      const payload = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: string };
      return payload.iss;
    } catch {
      return undefined;
    }
  }
  return form.get('client_id') ?? undefined;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Node-level front of oidc-provider: reads form bodies once (oidc-provider then uses `req.body`),
 * lets SMART scopes through, counts token requests, and plays simulated failures.
 */
export function makeOidcFront(provider: Provider, state: SandboxState) {
  const callback = provider.callback();
  const scopes = new DynamicScopes(provider);

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (url.pathname === OIDC_ROUTES.authorization) scopes.register(url.searchParams.get('scope') ?? undefined);
    if (req.method === 'POST' && isForm(req)) {
      const raw = await readBody(req);
      const form = new URLSearchParams(raw);
      scopes.register(form.get('scope') ?? undefined);
      if (url.pathname === OIDC_ROUTES.token && (await tokenFront(req, res, form))) return;
      if (url.pathname === OIDC_ROUTES.authorization) {
        // SMART 2.2 app-launch step 4 (authorize-post). oidc-provider only takes POST here with
        // SameSite=None cookies, which need https; the form is handed to it as the equivalent GET.
        req.method = 'GET';
        req.url = `${OIDC_ROUTES.authorization}?${form}`;
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
    if (failure?.kind === 'token_500') {
      sendJson(res, 500, { error: 'server_error', error_description: 'simulated failure: token_500' });
      return true;
    }
    if (failure?.kind === 'refresh_invalid_grant') {
      sendJson(res, 400, { error: 'invalid_grant', error_description: 'simulated failure: refresh_invalid_grant' });
      return true;
    }
    if (failure?.kind === 'token_slow') await delay(failure.delayMs ?? 5000);
    if (grantType === 'client_credentials') {
      // SMART 2.2 backend services: only system/ scopes make sense without a user.
      const system = parseScopeString(form.get('scope') ?? '').filter((s) => parseResourceScope(s)?.context === 'system');
      if (!system.length) {
        sendJson(res, 400, { error: 'invalid_scope', error_description: 'client_credentials needs system/ scopes' });
        return true;
      }
      form.set('scope', system.join(' '));
    }
    return false;
  }
}
