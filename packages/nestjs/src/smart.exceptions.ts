import { HttpException } from '@nestjs/common';
import type { GuardAnswer } from '@smart-launch/core/adapter';

/**
 * A guard answer (core's, the same in every adapter: 302 to the launch, 401 JSON, 403 with the
 * missing scopes, 5xx on a store outage) as a Nest exception; the guard has already set its headers.
 */
export class SmartHttpException extends HttpException {
  readonly headers: Readonly<Record<string, string>>;
  /** The scopes a 403 found missing. */
  readonly missing: readonly string[];
  constructor(answer: GuardAnswer) {
    super(answer.body, answer.status);
    this.headers = answer.headers;
    this.missing = answer.body.missing ?? [];
  }
}
