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
/** What a route's decorators ask of the guard: read once per controller class and handler. */
interface RouteRule {
  readonly isPublic: boolean;
  readonly scopes: readonly string[];
}

@Injectable()
export class SmartGuard implements CanActivate {
  // Decorator metadata is fixed once the classes are defined: reading it through the Reflector on
  // every request cost more than the session lookup itself. Keyed by class, then handler (a
  // handler inherited by two controllers may carry different class-level rules).
  readonly #rules = new WeakMap<object, WeakMap<object, RouteRule>>();

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(SMART) private readonly smart: Smart,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const rule = this.#rule(context.getClass(), context.getHandler());
    if (rule.isPublic) return true;
    // Fail closed: only HTTP requests carry a SMART session.
    if (context.getType() !== 'http') return false;
    const answer = guardNodeRequest(nodeRequest(context.getArgByIndex(0)), { scopes: rule.scopes, launchPath: this.smart.routes.launch });
    if (!answer) return true;
    setAnswerHeaders(nodeResponse(context.getArgByIndex(1)), answer);
    throw new SmartHttpException(answer);
  }

  #rule(cls: object, handler: object): RouteRule {
    let byHandler = this.#rules.get(cls);
    if (!byHandler) this.#rules.set(cls, (byHandler = new WeakMap()));
    let rule = byHandler.get(handler);
    if (!rule) {
      const targets = [handler as () => void, cls as () => void];
      rule = {
        isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true,
        scopes: this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES_KEY, targets) ?? [],
      };
      byHandler.set(handler, rule);
    }
    return rule;
  }
}
