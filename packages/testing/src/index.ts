/**
 * @smart-launch/testing — for the tests of apps built with smart-launch:
 * `sessionCookie()` (a logged-in session for route tests, no server) and `launch()` (a real SMART
 * launch against the sandbox or any scriptable SMART server, driven with fetch).
 */
export { sessionCookie, type SessionCookieConfig, type TestSession } from './session-cookie.js';
export { launch, type LaunchOptions, type LaunchResult, type LaunchStep, type LaunchPage, type LaunchingEhr, type FormSubmission } from './launch.js';
export { parseForms, type HtmlForm } from './forms.js';
