import { HttpException, HttpStatus } from '@nestjs/common';
import { insufficientScope, notAuthenticated, type GuardAnswer } from '@smart-launch/core/adapter';
import { type SmartError } from '@smart-launch/core';

/** Headers the answer must carry; SmartGuard sets them on the response before throwing. */
export abstract class SmartHttpException extends HttpException {
  abstract readonly headers: Readonly<Record<string, string>>;
}

/** No SMART session on an API request: 401 JSON (or the session error's 5xx, e.g. store down). */
export class SmartUnauthorizedException extends SmartHttpException {
  readonly headers: Readonly<Record<string, string>>;
  constructor(cause?: SmartError, answer: GuardAnswer = notAuthenticated(cause)) {
    super(answer.body, answer.status);
    this.headers = answer.headers;
  }
}

/** No SMART session on a browser request: 302 to the launch route, which comes back here. */
export class SmartLaunchRedirectException extends SmartHttpException {
  readonly headers: Readonly<Record<string, string>>;
  constructor(readonly location: string) {
    super({ statusCode: HttpStatus.FOUND, message: 'Launch required' }, HttpStatus.FOUND);
    this.headers = { location, 'cache-control': 'no-store' };
  }
}

/** The granted scopes do not cover the route's @RequireScopes(): 403 with the missing ones. */
export class SmartInsufficientScopeException extends SmartHttpException {
  readonly headers: Readonly<Record<string, string>>;
  constructor(readonly missing: string[], answer: GuardAnswer = insufficientScope(missing)) {
    super(answer.body, answer.status);
    this.headers = answer.headers;
  }
}
