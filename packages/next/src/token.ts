import { bearerErrorResponse, type ResourceServer, type ResourceServerOptions, type TokenContext } from '@smart-launch/core/resource-server';
import { jwksHandler, type JwksKeyInput, type JwksResponseOptions, type SmartConfig } from '@smart-launch/core';
import { toResourceServer } from '@smart-launch/core/adapter';

export interface WithTokenOptions {
  /** Scopes the request's token must carry (SMART v1/v2 union semantics); else 403 insufficient_scope. */
  scopes?: string | string[];
}

export interface TokenGuard {
  /** The verified token of `request`; throws a BearerError (`bearerErrorResponse` turns it into a Response). */
  verify(request: Request, scopes?: string | string[]): Promise<TokenContext>;
  /** Wraps a Route Handler: 400/401/403 per RFC 6750 section 3, else `handler(request, token, ctx)`. */
  withToken<C>(handler: (request: Request, token: TokenContext, ctx: C) => Response | Promise<Response>, options?: WithTokenOptions): (request: Request, ctx: C) => Promise<Response>;
}

/**
 * For Route Handlers of an API that receives SMART access tokens (not sessions), verified by
 * introspection or as JWTs. Create it once (`export const api = tokenGuard({...})`), then wrap:
 * `export const GET = api.withToken((request, token) => Response.json(...), { scopes: 'system/Patient.rs' })`.
 */
export function tokenGuard(options: ResourceServerOptions | ResourceServer): TokenGuard {
  const rs = toResourceServer(options);
  return {
    verify: (request, scopes) => rs.authorize(request, scopes),
    withToken: (handler, opts = {}) => async (request, ctx) => {
      let token: TokenContext;
      try {
        token = await rs.authorize(request, opts.scopes);
      } catch (error) {
        return bearerErrorResponse(error);
      }
      return handler(request, token, ctx);
    },
  };
}

/** `export const { GET } = jwksRoute(config)` in app/.well-known/jwks.json/route.ts. */
export function jwksRoute(keys: JwksKeyInput[] | Pick<SmartConfig, 'issuers'>, options: JwksResponseOptions = {}): { GET: () => Promise<Response> } {
  const handler = jwksHandler(keys, options);
  return { GET: () => handler() };
}

export type { TokenContext } from '@smart-launch/core/resource-server';
