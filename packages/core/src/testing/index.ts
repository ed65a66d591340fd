/**
 * @smart-launch/core/testing — core's own session writer, for `@smart-launch/testing`
 * (`sessionCookie()`). Not for apps: a session made here never saw an authorization server.
 */
export { mintSession, type MintSessionConfig, type MintSessionInput, type MintedSession } from './mint.js';
