import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { prefersJson } from '@smart-launch/core/adapter';
import { type SmartContext, type SmartError } from '@smart-launch/core';

declare module 'node:http' {
  interface IncomingMessage {
    /** The SMART session of this request, or null when there is none. Set by SmartMiddleware. */
    smart?: SmartContext | null;
    /** Why `smart` is null although a session cookie came (expired, refresh failed...). */
    smartError?: SmartError;
  }
}

/** Express passes its req/res (Node's, extended); Fastify's middie the raw Node ones. */
export type RawRequest = IncomingMessage & { originalUrl?: string };

/** The Node request behind a Nest HTTP request object (Express: itself; Fastify: `.raw`). */
export function rawRequest(req: unknown): RawRequest {
  return ((req as { raw?: RawRequest }).raw ?? req) as RawRequest;
}

export function rawResponse(res: unknown): ServerResponse {
  return ((res as { raw?: ServerResponse }).raw ?? res) as ServerResponse;
}

/** Path and query as the client sent them (middleware mounts may have stripped `req.url`). */
export function originalUrl(req: RawRequest): string {
  return req.originalUrl ?? req.url ?? '/';
}

export function pathname(req: RawRequest): string {
  const url = originalUrl(req);
  const q = url.search(/[?#]/);
  return q < 0 ? url : url.slice(0, q);
}

export function requestUrl(req: RawRequest): string {
  const proto = (req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http';
  return `${proto}://${req.headers.host ?? 'localhost'}${originalUrl(req)}`;
}

export function toWebRequest(req: RawRequest): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  // The SMART routes take no body (authorize responses arrive by GET; logout by GET or POST).
  return new Request(requestUrl(req), { method: req.method ?? 'GET', headers });
}

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const KEEPS_COOKIES = Symbol('smart-launch:keeps-cookies');

/**
 * Appends Set-Cookie values to the Node response. Fastify replies with `writeHead(status, headers)`,
 * and a `set-cookie` passed there would replace ours (Node gives writeHead precedence): losing a
 * refreshed session cookie ends the session, so writeHead is wrapped to keep both.
 */
export function appendCookies(res: ServerResponse & { [KEEPS_COOKIES]?: true }, values: string[]): void {
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

export async function send(res: ServerResponse, web: Response): Promise<void> {
  res.statusCode = web.status;
  web.headers.forEach((value, key) => {
    if (key !== 'set-cookie') res.setHeader(key, value);
  });
  appendCookies(res, web.headers.getSetCookie());
  res.end(web.body ? Buffer.from(await web.arrayBuffer()) : undefined);
}

/** Same rule as every adapter (core `prefersJson`): browsers get a redirect, everything else JSON. */
export function wantsJson(req: RawRequest): boolean {
  const xrw = req.headers['x-requested-with'];
  return prefersJson({ accept: req.headers.accept, requestedWith: Array.isArray(xrw) ? xrw[0] : xrw, path: pathname(req) });
}
