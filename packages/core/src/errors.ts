/**
 * Typed errors. Every error smart-launch throws is a `SmartError` with a stable `code` (see
 * `ErrorCode`) and a message that is safe to show and to log: no token, code, secret, assertion
 * or private key ever goes into a message. The underlying error, if any, is kept as `cause`.
 */
export const ErrorCode = {
  // configuration (thrown at startup)
  CONFIG_INVALID: 'config_invalid',
  // discovery
  DISCOVERY_FAILED: 'discovery_failed',
  DISCOVERY_INVALID: 'discovery_invalid',
  CAPABILITY_MISSING: 'capability_missing',
  // launch
  ISS_NOT_ALLOWED: 'iss_not_allowed',
  LAUNCH_INVALID: 'launch_invalid',
  INSECURE_ENDPOINT: 'insecure_endpoint',
  ISSUER_CONFLICT: 'issuer_conflict',
  // callback
  STATE_MISSING: 'state_missing',
  STATE_MISMATCH: 'state_mismatch',
  TRANSACTION_EXPIRED: 'transaction_expired',
  AUTHORIZATION_DENIED: 'authorization_denied',
  AUTHORIZATION_ERROR: 'authorization_error',
  ISSUER_MISMATCH: 'issuer_mismatch',
  CODE_MISSING: 'code_missing',
  ID_TOKEN_INVALID: 'id_token_invalid',
  PATIENT_MISSING: 'patient_missing',
  // tokens
  TOKEN_REQUEST_FAILED: 'token_request_failed',
  TOKEN_RESPONSE_INVALID: 'token_response_invalid',
  REFRESH_FAILED: 'refresh_failed',
  SESSION_EXPIRED: 'session_expired',
  // session
  SESSION_STORE_UNAVAILABLE: 'session_store_unavailable',
  SESSION_TOO_LARGE: 'session_too_large',
  LAUNCH_AMBIGUOUS: 'launch_ambiguous',
  LAUNCH_NOT_FOUND: 'launch_not_found',
  NOT_AUTHENTICATED: 'not_authenticated',
  INSUFFICIENT_SCOPE: 'insufficient_scope',
  // resource server: a malformed bearer request (RFC 6750 section 3.1 invalid_request)
  INVALID_REQUEST: 'invalid_request',
  // FHIR client
  FHIR_REQUEST_FAILED: 'fhir_request_failed',
  FHIR_FOREIGN_URL: 'fhir_foreign_url',
  // registration, introspection, backend
  REGISTRATION_FAILED: 'registration_failed',
  INTROSPECTION_FAILED: 'introspection_failed',
  TIMEOUT: 'timeout',
  RESPONSE_TOO_LARGE: 'response_too_large',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface SmartErrorOptions {
  cause?: unknown;
  /** HTTP status the adapters answer with when this error ends a request. */
  status?: number;
  /** OAuth error fields from the server (RFC 6749 5.2 / 4.1.2.1), safe to show once escaped. */
  oauth?: { error: string; error_description?: string; error_uri?: string };
  /** Set-Cookie values that clear what this error made useless (e.g. a transaction cookie). */
  clearCookies?: readonly string[];
}

export class SmartError extends Error {
  override readonly name: string = 'SmartError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly oauth?: SmartErrorOptions['oauth'];
  /** Set-Cookie values the answer to this error carries (`handle()` sends them). */
  clearCookies: readonly string[];

  constructor(code: ErrorCode, message: string, options: SmartErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 500;
    this.clearCookies = options.clearCookies ?? [];
    if (options.oauth) this.oauth = options.oauth;
  }

  toJSON(): { error: ErrorCode; message: string; oauth?: SmartErrorOptions['oauth'] } {
    return { error: this.code, message: this.message, ...(this.oauth ? { oauth: this.oauth } : {}) };
  }
}

export class ConfigError extends SmartError {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: SmartErrorOptions) {
    super(ErrorCode.CONFIG_INVALID, message, options);
  }
}
export class DiscoveryError extends SmartError {
  override readonly name = 'DiscoveryError';
}
export class LaunchError extends SmartError {
  override readonly name = 'LaunchError';
}
export class CallbackError extends SmartError {
  override readonly name = 'CallbackError';
}
export class TokenError extends SmartError {
  override readonly name = 'TokenError';
}
export class SessionError extends SmartError {
  override readonly name = 'SessionError';
}
export class FhirError extends SmartError {
  override readonly name = 'FhirError';
  /** The FHIR server's HTTP status and OperationOutcome, when it answered. */
  readonly response?: { status: number; body?: unknown };
  constructor(code: ErrorCode, message: string, options: SmartErrorOptions & { response?: { status: number; body?: unknown } } = {}) {
    super(code, message, options);
    if (options.response) this.response = options.response;
  }
}

export function isSmartError(e: unknown): e is SmartError {
  return e instanceof SmartError;
}

/** `error` as a SmartError (an unexpected one becomes `authorization_error`) carrying `cookies` to clear. */
export function withClearCookies(error: unknown, cookies: readonly string[]): SmartError {
  const err = isSmartError(error) ? error : new SmartError(ErrorCode.AUTHORIZATION_ERROR, 'Sign-in failed', { cause: error });
  err.clearCookies = cookies;
  return err;
}
