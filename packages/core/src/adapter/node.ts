import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isSmartRoute, type SessionResult, type Smart } from '../app/smart.js';
import type { SmartError } from '../errors.js';
import type { SmartContext } from '../fhir/context.js';
import type { OriginSource } from '../origin.js';
import { guardSession, prefersJson, type GuardAnswer } from './guards.js';
import { resolveSession } from './session.js';

/**
 * The Node `IncomingMessage`/`ServerResponse` <-> Web `Request`/`Response` bridge, and the
 * middleware and guard Express and NestJS (Express or Fastify platform) share.
 */

const INSTANCE = Symbol('smart-launch.instance');
const KEEPS_COOKIES = Symbol('smart-launch.keeps-cookies');

/** What the middleware puts on the Node request. */
export interface NodeSessionFields {
  /** The SMART session of this request, or null when there is none. */
  smart?: SmartContext | null;
  /** Why `smart` is null although a session cookie came (expired, refresh failed, store down). */
  smartError?: SmartError;
}

/** Express passes its req (Node's, extended with `originalUrl`); Fastify and Nest wrap it in `.raw`. */
export type NodeRequest = IncomingMessage & NodeSessionFields & { originalUrl?: string; [INSTANCE]?: Smart };

/** The Node request behind a framework request object (Express: itself; Fastify: `.raw`). */
export function nodeRequest(req: unknown): NodeRequest {
  return ((req as { raw?: NodeRequest }).raw ?? req) as NodeRequest;
}

export function nodeResponse(res: unknown): ServerResponse {
  return ((res as { raw?: ServerResponse }).raw ?? res) as ServerResponse;
}

/** Path and query as the client sent them (a mount point may have stripped `req.url`). */
export function requestTarget(req: NodeRequest): string {
  const target = req.originalUrl ?? req.url ?? '/';
  return target.startsWith('/') ? target : '/';
}

export function requestPath(req: NodeRequest): string {
  const target = requestTarget(req);
  // The first '?' or '#' (two single-character searches: cheaper than a regex per request).
  const q = target.indexOf('?');
  const h = target.indexOf('#');
  const end = q < 0 ? h : h < 0 ? q : Math.min(q, h);
  return end < 0 ? target : target.slice(0, end);
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The origin policy's input: the connection's TLS state (never `req.protocol`) and the headers. */
export function nodeOriginSource(req: NodeRequest): OriginSource {
  return {
    header: (name) => one(req.headers[name]) ?? (name === 'host' ? one(req.headers[':authority']) : undefined),
    encrypted: (req.socket as TLSSocket | undefined)?.encrypted === true,
  };
}

/**
 * The Web Request core `handle()` takes: the connection's scheme, the request's headers (core
 * applies the origin policy to them). The SMART routes take no body (authorization responses
 * arrive by GET; logout by GET or POST with nothing in it).
 */
export function toWebRequest(req: NodeRequest): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k.startsWith(':')) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  const authority = one(req.headers[':authority']);
  if (!headers.has('host') && authority) headers.set('host', authority);
  const scheme = nodeOriginSource(req).encrypted ? 'https' : 'http';
  return new Request(`${scheme}://localhost${requestTarget(req)}`, { method: req.method ?? 'GET', headers });
}

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * Appends Set-Cookie values to the Node response. Fastify replies with `writeHead(status, headers)`,
 * and a `set-cookie` passed there would replace ours (Node gives writeHead precedence): losing a
 * refreshed session cookie ends the session, so writeHead is wrapped to keep both.
 */
export function appendSetCookie(res: ServerResponse & { [KEEPS_COOKIES]?: true }, values: readonly string[]): void {
  if (!values.length || res.headersSent) return;
  res.setHeader('set-cookie', [...list(res.getHeader('set-cookie')), ...values]);
  if (res[KEEPS_COOKIES]) return;
  res[KEEPS_COOKIES] = true;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const headers = args.find((a, i) => i > 0 && a && typeof a === 'object' && !Array.isArray(a)) as Record<string, unknown> | undefined;
    const key = headers && Object.keys(headers).find((k) => k.toLowerCase() === 'set-cookie');
    if (headers && key) headers[key] = [...new Set([...list(this.getHeader('set-cookie')), ...list(headers[key])])];
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}

/** Writes a Web Response to the Node response. */
export async function sendResponse(res: ServerResponse, web: Response): Promise<void> {
  res.statusCode = web.status;
  web.headers.forEach((value, key) => {
    if (key !== 'set-cookie') res.setHeader(key, value);
  });
  appendSetCookie(res, web.headers.getSetCookie());
  res.end(web.body ? Buffer.from(await web.arrayBuffer()) : undefined);
}

/** Writes a guard answer (JSON, or an empty 302) to the Node response. */
export function sendAnswer(res: ServerResponse, answer: GuardAnswer): void {
  res.statusCode = answer.status;
  for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
  if (answer.status === 302) return void res.end();
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(answer.body));
}

/** Sets a guard answer's headers on the response (for frameworks that answer by throwing). */
export function setAnswerHeaders(res: ServerResponse, answer: GuardAnswer): void {
  if (!res.headersSent) for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
}

/** JSON for API clients (non-HTML Accept, XHR, /api/ paths); browsers get a redirect. */
export function nodeWantsJson(req: NodeRequest): boolean {
  return prefersJson({ accept: one(req.headers.accept), requestedWith: one(req.headers['x-requested-with']), path: requestPath(req) });
}

/** What a bearer-token guard checks: the Authorization header, and the URL (RFC 6750 2.3: no token there). */
export function nodeBearerInput(req: NodeRequest): { authorization: string | undefined; url: string } {
  return { authorization: req.headers.authorization, url: requestTarget(req) };
}

/**
 * The middleware of the Node adapters: serves the SMART routes through core `handle()`, and puts
 * every other request's session on `req.smart` / `req.smartError` (Set-Cookie of a refresh on
 * the response). Synchronous on the hot path (no cookie, or a fresh verified session).
 */
export function nodeMiddleware(smart: Smart): (req: unknown, res: unknown, next: (error?: unknown) => void) => void {
  return (rawReq, rawRes, next) => {
    const req = nodeRequest(rawReq);
    const res = nodeResponse(rawRes);
    if (isSmartRoute(smart.routes, requestPath(req))) {
      smart.handle(toWebRequest(req)).then((web) => (web ? sendResponse(res, web) : next())).catch(next);
      return;
    }
    const apply = (result: SessionResult) => {
      req.smart = result.context;
      // Which instance's launch route a guard sends a browser without a session to. Only set
      // when there is none: every property added to the request costs the hot path.
      if (!result.context) req[INSTANCE] = smart;
      if (result.error) req.smartError = result.error;
      appendSetCookie(res, result.setCookie);
      if (result.response) return void sendResponse(res, result.response).catch(next);
      next();
    };
    const lookup = { cookie: req.headers.cookie, origin: nodeOriginSource(req), target: requestTarget(req), method: req.method };
    const result = resolveSession(smart, lookup, { setCookie: (values) => appendSetCookie(res, values) });
    if ('then' in result) result.then(apply, next);
    else apply(result);
  };
}

export interface NodeGuardOptions {
  /** Scopes the route requires; none: any session passes. */
  scopes?: readonly string[];
  /** Where browsers without a session go: 'launch' (default) or a path. */
  onMissing?: string;
  /** The launch route; default: that of the instance whose middleware saw the request, else `/launch`. */
  launchPath?: string;
}

/** The session guard on a Node request (after `nodeMiddleware`): undefined to let it through, else the answer. */
export function guardNodeRequest(req: NodeRequest, options: NodeGuardOptions = {}): GuardAnswer | undefined {
  // The hot path: a session and no scopes to check lets the request through (what guardSession
  // answers), without computing the JSON preference and the return path first.
  if (req.smart && !options.scopes?.length) return undefined;
  return guardSession({
    context: req.smart,
    error: req.smartError,
    scopes: options.scopes,
    json: nodeWantsJson(req),
    launchPath: options.launchPath ?? req[INSTANCE]?.routes.launch ?? '/launch',
    returnTo: requestTarget(req),
    onMissing: options.onMissing,
  });
}
