import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { guardNodeRequest, nodeRequest, nodeResponse, setAnswerHeaders } from '@smart-launch/core/adapter';
import type { Smart } from '@smart-launch/core';
import { IS_PUBLIC_KEY } from './decorators/public.decorator.js';
import { REQUIRED_SCOPES_KEY } from './decorators/require-scopes.decorator.js';
import { SMART } from './smart.constants.js';
import { SmartHttpException } from './smart.exceptions.js';

/**
 * Requires a SMART session (put on the request by SmartModule): browsers without one are sent to
 * the launch route, APIs get 401 JSON; `@RequireScopes()` not covered: 403. Use it per controller
 * or route (`@UseGuards(SmartGuard)`) or globally (`APP_GUARD`); `@Public()` opts out.
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
    const scopes = this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES_KEY, targets);
    const answer = guardNodeRequest(nodeRequest(http.getRequest()), { scopes, launchPath: this.smart.routes.launch });
    if (!answer) return true;
    setAnswerHeaders(nodeResponse(http.getResponse()), answer);
    throw new SmartHttpException(answer);
  }
}
