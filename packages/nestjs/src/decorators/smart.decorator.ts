import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SmartContext } from '@smart-launch/core';
import { nodeRequest, notAuthenticated } from '@smart-launch/core/adapter';
import { SmartHttpException } from '../smart.exceptions.js';

export interface SmartParamOptions {
  /** Give null instead of answering 401 when there is no session (for @Public() routes). */
  optional?: boolean;
}

/**
 * `@Smart() smart: SmartContext`: the request's SMART context (token, patient, encounter,
 * fhirUser, scopes, FHIR client). Without a session it fails closed with 401 JSON, unless
 * `@Smart({ optional: true }) smart: SmartContext | null`.
 */
export const Smart = createParamDecorator((options: SmartParamOptions | undefined, ctx: ExecutionContext): SmartContext | null => {
  const req = nodeRequest(ctx.switchToHttp().getRequest());
  if (req.smart) return req.smart;
  if (options?.optional) return null;
  throw new SmartHttpException(notAuthenticated(req.smartError));
});
