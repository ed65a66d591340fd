import { SetMetadata } from '@nestjs/common';
import { ConfigError } from '@smart-launch/core';

export const REQUIRED_SCOPES_KEY = 'smart-launch:scopes';

/**
 * `@RequireScopes('patient/Observation.rs', ...)` on a controller or route: SmartGuard answers 403
 * unless the granted scopes cover all of them (SMART v1/v2, union semantics). Class and method
 * requirements add up.
 */
export function RequireScopes(...scopes: string[]): ClassDecorator & MethodDecorator {
  if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new ConfigError('@RequireScopes() needs at least one non-empty scope string');
  }
  return SetMetadata(REQUIRED_SCOPES_KEY, scopes);
}
