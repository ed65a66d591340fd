/**
 * @smart-launch/core/adapter — what a framework adapter needs and nothing else. Not for apps.
 */
export { prefersJson, notAuthenticated, insufficientScope, launchLocation, type GuardAnswer } from './guards.js';
