import { HttpException, HttpStatus } from '@nestjs/common';
import { ErrorCode, type SmartError } from '@smart-launch/core';

/** Headers the answer must carry; SmartGuard sets them on the response before throwing. */
export abstract class SmartHttpException extends HttpException {
  abstract readonly headers: Readonly<Record<string, string>>;
}

/** No SMART session on an API request: 401 JSON (or the session error's 5xx, e.g. store down). */
export class SmartUnauthorizedException extends SmartHttpException {
  readonly headers = { 'www-authenticate': 'Bearer', 'cache-control': 'no-store' };
  constructor(cause?: SmartError) {
    super(
      { error: cause?.code ?? ErrorCode.NOT_AUTHENTICATED, message: cause?.message ?? 'No SMART session: launch the app first' },
      cause?.status && cause.status >= 500 ? cause.status : HttpStatus.UNAUTHORIZED,
    );
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
  constructor(readonly missing: string[]) {
    super({ error: ErrorCode.INSUFFICIENT_SCOPE, message: 'The granted scopes do not allow this', missing }, HttpStatus.FORBIDDEN);
    // RFC 6750 3.1
    this.headers = { 'www-authenticate': `Bearer error="insufficient_scope", scope="${missing.join(' ')}"` };
  }
}
