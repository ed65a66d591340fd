/** Injection token of the core `Smart` instance (`createSmart(options)`) the module uses. */
export const SMART = Symbol('SMART');

/**
 * Injection token of the `SessionStore` in use, or null in cookie mode (the default). Defaults to
 * `options.session.store`; `Test.createTestingModule(...).overrideProvider(SMART_SESSION_STORE)`
 * swaps it, and services can inject it (e.g. to end a user's sessions).
 */
export const SMART_SESSION_STORE = Symbol('SMART_SESSION_STORE');
