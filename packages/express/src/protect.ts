import type { Request, RequestHandler, Response } from 'express';
import { bearerErrorParts, createResourceServer, requireTokenScopes as checkScopes, type BearerInput, type ResourceServer, type ResourceServerOptions, type TokenContext } from '@smart-launch/core/resource-server';
import { jwksHandler, type JwksKeyInput, type JwksResponseOptions, type SmartConfig } from '@smart-launch/core';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified SMART access token of an API request. Set by `protectApi()`. */
      smartToken?: TokenContext;
    }
  }
}

export interface ProtectApiOptions extends ResourceServerOptions {
  /** Scopes every request must carry (v1/v2 union semantics); more per route with `requireTokenScopes()`. */
  scopes?: string | string[];
}

function reject(res: Response, error: unknown): void {
  const { status, headers, body } = bearerErrorParts(error);
  res.status(status).set(headers).json(body);
}

/** The Authorization header and the URL: core refuses a token in the URL (RFC 6750 2.3). */
function credential(req: Request): BearerInput {
  return { authorization: req.headers.authorization, url: req.originalUrl };
}

/**
 * `app.use('/api', protectApi({ iss, introspection: {...} }))`: verifies the Bearer token of every
 * request (introspection or JWT), puts it on `req.smartToken`, answers 401/403 per RFC 6750.
 */
export function protectApi(options: ProtectApiOptions | ResourceServer): RequestHandler {
  const rs = 'verify' in options && typeof options.verify === 'function' ? options : createResourceServer(options as ProtectApiOptions);
  const scopes = 'scopes' in options ? options.scopes : undefined;
  return (req, res, next) => {
    rs.authorize(credential(req), scopes).then((token) => {
      req.smartToken = token;
      next();
    }, (error: unknown) => reject(res, error));
  };
}

/** Per-route scope requirement for bearer-token APIs (after `protectApi()`); else 403 insufficient_scope. */
export function requireTokenScopes(...scopes: string[]): RequestHandler {
  return (req, res, next) => {
    try {
      if (!req.smartToken) throw new Error('requireTokenScopes() needs protectApi() first');
      checkScopes(req.smartToken, scopes);
      next();
    } catch (error) {
      reject(res, error);
    }
  };
}

/** `app.get('/.well-known/jwks.json', jwks(config))`: the public halves of the configured keys. */
export function jwks(keys: JwksKeyInput[] | Pick<SmartConfig, 'issuers'>, options: JwksResponseOptions = {}): RequestHandler {
  const handler = jwksHandler(keys, options);
  return (_req, res, next) => {
    handler().then(async (web) => {
      res.status(web.status);
      web.headers.forEach((value, key) => res.setHeader(key, value));
      res.end(await web.text());
    }, next);
  };
}

export type { TokenContext, ResourceServerOptions } from '@smart-launch/core/resource-server';
