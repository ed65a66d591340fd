import { bearerErrorResponse, createResourceServer, type ResourceServer, type ResourceServerOptions, type TokenContext } from '@smart-launch/core/resource-server';
import { jwksHandler, type JwksKeyInput, type JwksResponseOptions, type SmartConfig } from '@smart-launch/core';

export interface ProtectRouteOptions {
  /** Scopes the request's token must carry (SMART v1/v2 union semantics); else 403 insufficient_scope. */
  scopes?: string | string[];
}

/**
 * A resource server for Route Handlers that receive SMART access tokens (introspection or JWT).
 * Create it once in a module (`export const api = protectApi({...})`), then wrap handlers:
 * `export const GET = api.route((request, token) => Response.json(...), { scopes: 'system/Patient.rs' })`.
 */
export function protectApi(options: ResourceServerOptions | ResourceServer) {
  const rs = 'verify' in options && typeof options.verify === 'function' ? options : createResourceServer(options as ResourceServerOptions);
  return {
    /** The verified token of `request`; throws a BearerError (turn it into a Response with `bearerErrorResponse`). */
    verify: (request: Request, scopes?: string | string[]): Promise<TokenContext> => rs.authorize(request, scopes),
    /** Wraps a Route Handler: 401/403 per RFC 6750, else `handler(request, token, ctx)`. */
    route<C>(handler: (request: Request, token: TokenContext, ctx: C) => Response | Promise<Response>, opts: ProtectRouteOptions = {}) {
      return async (request: Request, ctx: C): Promise<Response> => {
        let token: TokenContext;
        try {
          token = await rs.authorize(request, opts.scopes);
        } catch (error) {
          return bearerErrorResponse(error);
        }
        return handler(request, token, ctx);
      };
    },
  };
}

/** `export const { GET } = jwksRoute(config)` in app/.well-known/jwks.json/route.ts. */
export function jwksRoute(keys: JwksKeyInput[] | Pick<SmartConfig, 'issuers'>, options: JwksResponseOptions = {}): { GET: () => Promise<Response> } {
  const handler = jwksHandler(keys, options);
  return { GET: () => handler() };
}

export type { TokenContext } from '@smart-launch/core/resource-server';
