import type { RequestHandler } from 'express';
import { bearerErrorParts, requireTokenScopes as checkScopes, type ResourceServer, type ResourceServerOptions, type TokenContext } from '@smart-launch/core/resource-server';
import { jwksHandler, type JwksKeyInput, type JwksResponseOptions, type SmartConfig } from '@smart-launch/core';
import { nodeBearerInput, sendResponse, toResourceServer } from '@smart-launch/core/adapter';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified SMART access token of an API request. Set by `requireToken()`. */
      smartToken?: TokenContext;
    }
  }
}

export interface RequireTokenOptions extends ResourceServerOptions {
  /** Scopes every request must carry (v1/v2 union semantics); more per route with `requireTokenScopes()`. */
  scopes?: string | string[];
}

/**
 * `app.use('/api', requireToken({ iss, introspection: {...} }))`: an API that receives SMART access
 * tokens (not sessions). Verifies the Bearer token of every request (introspection or JWT), puts it
 * on `req.smartToken`, answers 400/401/403 per RFC 6750 section 3.
 */
export function requireToken(options: RequireTokenOptions | ResourceServer): RequestHandler {
  const rs = toResourceServer(options);
  const scopes = 'scopes' in options ? options.scopes : undefined;
  return (req, res, next) => {
    rs.authorize(nodeBearerInput(req), scopes).then((token) => {
      req.smartToken = token;
      next();
    }, (error: unknown) => {
      const { status, headers, body } = bearerErrorParts(error);
      res.status(status).set(headers).json(body);
    });
  };
}

/** Per-route scope requirement for bearer-token APIs (after `requireToken()`); else 403 insufficient_scope. */
export function requireTokenScopes(...scopes: string[]): RequestHandler {
  return (req, res, next) => {
    try {
      if (!req.smartToken) throw new Error('requireTokenScopes() needs requireToken() first');
      checkScopes(req.smartToken, scopes);
      next();
    } catch (error) {
      const { status, headers, body } = bearerErrorParts(error);
      res.status(status).set(headers).json(body);
    }
  };
}

/** `app.get('/.well-known/jwks.json', jwks(config))`: the public halves of the configured keys. */
export function jwks(keys: JwksKeyInput[] | Pick<SmartConfig, 'issuers'>, options: JwksResponseOptions = {}): RequestHandler {
  const handler = jwksHandler(keys, options);
  return (_req, res, next) => void handler().then((web) => sendResponse(res, web)).catch(next);
}

export type { TokenContext, ResourceServerOptions } from '@smart-launch/core/resource-server';
