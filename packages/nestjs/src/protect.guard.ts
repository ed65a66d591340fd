import { createParamDecorator, HttpException, Inject, Injectable, mixin, SetMetadata, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { bearerErrorParts, createResourceServer, type ResourceServer, type ResourceServerOptions, type TokenContext } from '@smart-launch/core/resource-server';
import { ConfigError } from '@smart-launch/core';
import { originalUrl, rawRequest, rawResponse } from './http.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** The verified SMART access token of an API request. Set by SmartTokenGuard. */
    smartToken?: TokenContext;
  }
}

export const REQUIRED_TOKEN_SCOPES_KEY = 'smart-launch:token-scopes';

/** `@RequireTokenScopes('system/Observation.rs')`: SmartTokenGuard answers 403 unless the token covers them. */
export function RequireTokenScopes(...scopes: string[]): ClassDecorator & MethodDecorator {
  if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || s.trim() === '')) throw new ConfigError('@RequireTokenScopes() needs at least one non-empty scope string');
  return SetMetadata(REQUIRED_TOKEN_SCOPES_KEY, scopes);
}

/** `@SmartToken() token: TokenContext`: the token SmartTokenGuard verified. */
export const SmartToken = createParamDecorator((_data: unknown, ctx: ExecutionContext): TokenContext => {
  const token = rawRequest(ctx.switchToHttp().getRequest()).smartToken;
  if (!token) throw new HttpException({ error: 'not_authenticated', message: 'No verified access token: use SmartTokenGuard' }, 401);
  return token;
});

/**
 * `@UseGuards(SmartTokenGuard({ iss, introspection: {...} }))`: protects an API that receives SMART
 * access tokens (introspection or JWT); 401/403 with WWW-Authenticate per RFC 6750.
 */
export function SmartTokenGuard(options: ResourceServerOptions | ResourceServer): Type<CanActivate> {
  const rs = 'verify' in options && typeof options.verify === 'function' ? options : createResourceServer(options as ResourceServerOptions);
  @Injectable()
  class Guard implements CanActivate {
    constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

    async canActivate(context: ExecutionContext): Promise<boolean> {
      // Fail closed: only HTTP requests carry a Bearer token.
      if (context.getType() !== 'http') return false;
      const http = context.switchToHttp();
      const req = rawRequest(http.getRequest());
      const scopes = this.reflector.getAllAndMerge<string[]>(REQUIRED_TOKEN_SCOPES_KEY, [context.getHandler(), context.getClass()]);
      // Core refuses a token in the URL (RFC 6750 2.3).
      const input = { authorization: req.headers.authorization, url: originalUrl(req) };
      try {
        req.smartToken = await rs.authorize(input, scopes.length ? scopes : undefined);
        return true;
      } catch (error) {
        const { status, headers, body } = bearerErrorParts(error);
        const res = rawResponse(http.getResponse());
        if (!res.headersSent) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        throw new HttpException(body, status);
      }
    }
  }
  return mixin(Guard);
}
