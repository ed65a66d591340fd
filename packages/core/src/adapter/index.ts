/**
 * @smart-launch/core/adapter — everything a framework adapter needs and nothing else (not for apps):
 * the origin policy, the SMART route check, session resolution, the guard answers, the Node
 * `IncomingMessage`/`ServerResponse` <-> Web `Request`/`Response` bridge, and config-or-instance
 * handling. Express, Next.js and NestJS are built on it; see docs/adr/0011-adapter-kit-and-subpaths.md.
 */
export { appOrigin, parseForwarded, webOriginSource, type OriginPolicy, type OriginSource } from '../origin.js';
export { isSmartRoute } from '../app/smart.js';
export { appUrl, resolveSession, type SessionLookup } from './session.js';
export { isSmart, toSmart, toResourceServer, type SmartInput } from './instances.js';
export {
  answerResponse,
  guardSession,
  insufficientScope,
  launchLocation,
  launchRedirect,
  notAuthenticated,
  prefersJson,
  type GuardAnswer,
  type SessionGuardInput,
} from './guards.js';
export {
  appendSetCookie,
  guardNodeRequest,
  nodeBearerInput,
  nodeMiddleware,
  nodeOriginSource,
  nodeRequest,
  nodeResponse,
  nodeWantsJson,
  requestPath,
  requestTarget,
  sendAnswer,
  sendResponse,
  setAnswerHeaders,
  toWebRequest,
  type NodeGuardOptions,
  type NodeRequest,
  type NodeSessionFields,
} from './node.js';
