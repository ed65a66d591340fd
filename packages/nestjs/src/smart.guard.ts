import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { launchLocation } from '@smart-launch/core/adapter';
import { type Smart } from '@smart-launch/core';
import { IS_PUBLIC_KEY } from './decorators/public.decorator.js';
import { REQUIRED_SCOPES_KEY } from './decorators/require-scopes.decorator.js';
import { originalUrl, rawRequest, rawResponse, wantsJson } from './http.js';
import { SMART } from './smart.constants.js';
import {
  SmartInsufficientScopeException,
  SmartLaunchRedirectException,
  SmartUnauthorizedException,
  type SmartHttpException,
} from './smart.exceptions.js';

/**
 * Requires a SMART session (put on the request by SmartMiddleware): browsers without one are
 * sent to the launch route, APIs get 401 JSON; `@RequireScopes()` not covered: 403. Use it per
 * controller or route (`@UseGuards(SmartGuard)`) or globally (`APP_GUARD`); `@Public()` opts out.
 */
@Injectable()
export class SmartGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(SMART) private readonly smart: Smart,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets)) return true;
    // Fail closed: only HTTP requests carry a SMART session.
    if (context.getType() !== 'http') return false;
    const http = context.switchToHttp();
    const req = rawRequest(http.getRequest());
    const fail = (e: SmartHttpException): never => {
      const res = rawResponse(http.getResponse());
      if (!res.headersSent) for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
      throw e;
    };
    if (!req.smart) {
      if (wantsJson(req)) fail(new SmartUnauthorizedException(req.smartError));
      fail(new SmartLaunchRedirectException(launchLocation(this.smart.routes.launch, originalUrl(req))));
    }
    const required = this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES_KEY, targets);
    const missing = required.length ? req.smart!.scopes.missing(required) : [];
    if (missing.length) fail(new SmartInsufficientScopeException(missing));
    return true;
  }
}
