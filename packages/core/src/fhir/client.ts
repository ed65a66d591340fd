/**
 * A small FHIR R4 REST client bound to one server: the `aud` the access token was issued for.
 * The bearer token only ever goes to URLs under that base (SMART App Launch step 6, https://hl7.org/fhir/smart-app-launch/app-launch.html).
 */
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { ConfigError, ErrorCode, FhirError } from '../errors.js';

export interface FhirClientOptions {
  /** FHIR base URL the token was issued for (`aud`). The token is sent only to URLs under it. */
  serverUrl: string;
  /** Returns the current access token; called before every request. */
  getAccessToken: () => string | Promise<string>;
  /** Called once when the server answers 401; returns a fresh token to retry with, or undefined. */
  onUnauthorized?: () => Promise<string | undefined>;
  /** Fetch implementation; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Per-request timeout in ms (headers and body); default 15000. */
  timeoutMs?: number;
  /** Extra headers sent with every request. `Authorization` here is ignored. */
  headers?: Record<string, string>;
}

/** Search parameters: a value list repeats the parameter (FHIR AND semantics). */
export type FhirSearchParams = Record<string, string | number | readonly string[]> | URLSearchParams;

/** Options of {@link FhirClient.request}. */
export interface FhirRequestInit {
  method?: string;
  /** JSON-serialised and sent as `application/fhir+json`. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Paging limits of {@link FhirClient.pages} and {@link FhirClient.searchAll}. */
export interface FhirPagingOptions {
  /** Stop after this many pages (default 100); further pages are silently not fetched. */
  maxPages?: number;
}

const FHIR_JSON = 'application/fhir+json';
// FHIR R4 §2.1.2 resource names; §2.24.0.1 id datatype.
const RESOURCE_TYPE = /^[A-Za-z]+$/;
const RESOURCE_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const MAX_REDIRECTS = 5;

/** A FHIR R4 client for one server. Every method throws {@link FhirError} on failure. */
export class FhirClient {
  /** The FHIR base URL, without a trailing slash. */
  readonly serverUrl: string;
  readonly #base: URL;
  /** Base path without a trailing slash; '' for a base at the origin root. */
  readonly #basePath: string;
  readonly #options: FhirClientOptions;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  /** @throws ConfigError if `serverUrl` is not an absolute http(s) URL without query or fragment. */
  constructor(options: FhirClientOptions) {
    let base: URL;
    try {
      base = new URL(options.serverUrl);
    } catch {
      throw new ConfigError('FhirClient: serverUrl must be an absolute http(s) URL');
    }
    if (!/^https?:$/.test(base.protocol) || base.search || base.hash || base.username || base.password) {
      throw new ConfigError('FhirClient: serverUrl must be an http(s) URL without credentials, query or fragment');
    }
    this.#basePath = base.pathname.replace(/\/+$/, '');
    base.pathname = this.#basePath;
    this.#base = base;
    this.serverUrl = base.href.replace(/\/+$/, '');
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** GET `[base]/[type]/[id]` (FHIR read). Type and id are validated so they cannot escape the path. */
  async read<T extends Resource = Resource>(resourceType: string, id: string): Promise<T> {
    checkType(resourceType);
    // FHIR id syntax; `.` and `..` are valid by the regex but would be dot-segments in a URL.
    if (!RESOURCE_ID.test(id) || /^\.+$/.test(id)) {
      throw new FhirError(ErrorCode.FHIR_REQUEST_FAILED, `FHIR read ${resourceType}: invalid resource id`, { status: 400 });
    }
    const url = this.#resolve(`${resourceType}/${encodeURIComponent(id)}`);
    return this.#send<T>(url, {}, `read ${resourceType}/${id}`);
  }

  /** GET `[base]/[type]?params` (FHIR search type); returns one page. */
  async search<T extends Resource = Resource>(resourceType: string, params?: FhirSearchParams): Promise<Bundle<T>> {
    checkType(resourceType);
    const url = this.#resolve(resourceType);
    url.search = toSearchParams(params).toString();
    return this.#send<Bundle<T>>(url, {}, `search ${resourceType}`);
  }

  /**
   * Fetches the bundle's `next` page, or returns undefined when there is none.
   * @throws FhirError `fhir_foreign_url` if the link points outside `serverUrl` (no request made).
   */
  async nextPage<T extends Resource = Resource>(bundle: Bundle<T>): Promise<Bundle<T> | undefined> {
    const next = bundle.link?.find((l) => l.relation === 'next')?.url;
    if (!next) return undefined;
    const type = bundle.entry?.find((e) => e.resource)?.resource?.resourceType;
    return this.#send<Bundle<T>>(this.#resolve(next), {}, `search ${type ?? 'next'} page`);
  }

  /** Yields the search result pages, following `link[next]` up to `maxPages` (default 100). */
  async *pages<T extends Resource = Resource>(
    resourceType: string,
    params?: FhirSearchParams,
    opts: FhirPagingOptions = {},
  ): AsyncGenerator<Bundle<T>, void, undefined> {
    const maxPages = opts.maxPages ?? 100;
    if (maxPages < 1) return;
    let page: Bundle<T> | undefined = await this.search<T>(resourceType, params);
    const seen = new Set<string>();
    for (let n = 1; page; n++) {
      yield page;
      const next = page.link?.find((l) => l.relation === 'next')?.url;
      // Stop at the limit and on a link loop (a server repeating the same page forever).
      if (n >= maxPages || !next || seen.has(next)) return;
      seen.add(next);
      page = await this.nextPage(page);
    }
  }

  /**
   * Runs a search and returns the matched resources of every page (entries with `search.mode`
   * `include` or `outcome` are left out), following up to `maxPages` pages (default 100).
   */
  async searchAll<T extends Resource = Resource>(
    resourceType: string,
    params?: FhirSearchParams,
    opts: FhirPagingOptions = {},
  ): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages<T>(resourceType, params, opts)) {
      for (const e of page.entry ?? []) {
        const mode = e.search?.mode;
        if (e.resource && (mode === undefined || mode === 'match')) out.push(e.resource);
      }
    }
    return out;
  }

  /**
   * Sends a request with the bearer token. A relative path resolves against `serverUrl` (a leading
   * `/` is relative to the base too); an absolute URL must lie under `serverUrl`. JSON in and out;
   * an empty answer gives `undefined`.
   * @throws FhirError `fhir_foreign_url` for a URL outside `serverUrl` (no request made).
   */
  async request<T = unknown>(pathOrUrl: string, init: FhirRequestInit = {}): Promise<T> {
    const url = this.#resolve(pathOrUrl);
    const path = url.pathname.slice(this.#basePath.length).replace(/^\//, '');
    return this.#send<T>(url, init, `${(init.method ?? 'GET').toUpperCase()} ${path || '/'}`);
  }

  /**
   * Like {@link request} but returns the raw `Response` (status and headers, body unread), for
   * asynchronous FHIR operations such as bulk `$export` (202 + Content-Location). Same URL rules,
   * redirect rules and single 401 retry; only network failures and timeouts throw.
   * @throws FhirError `fhir_foreign_url` for a URL outside `serverUrl` (no request made).
   */
  async fetchRaw(pathOrUrl: string, init: FhirRequestInit & { timeoutMs?: number } = {}): Promise<Response> {
    const url = this.#resolve(pathOrUrl);
    const timeoutMs = init.timeoutMs ?? this.#timeoutMs;
    const send = async (token: string) => {
      try {
        return await this.#fetchFollowing(url, init, token, AbortSignal.timeout(timeoutMs));
      } catch (cause) {
        if (cause instanceof FhirError) throw cause;
        if (isAbort(cause)) throw new FhirError(ErrorCode.TIMEOUT, `FHIR ${url.pathname} timed out after ${timeoutMs} ms`, { status: 504 });
        throw new FhirError(ErrorCode.FHIR_REQUEST_FAILED, `FHIR ${url.pathname} failed: network error`, { cause, status: 502 });
      }
    };
    const res = await send(await this.#options.getAccessToken());
    if (res.status !== 401 || !this.#options.onUnauthorized) return res;
    const fresh = await this.#options.onUnauthorized();
    if (fresh === undefined) return res;
    await res.body?.cancel();
    return send(fresh);
  }

  /** Resolves a path or URL and checks it lies under the base: same origin and path prefix. */
  #resolve(pathOrUrl: string): URL {
    const absolute = /^[a-z][a-z\d+.-]*:/i.test(pathOrUrl);
    let url: URL;
    try {
      url = new URL(absolute ? pathOrUrl : `${this.serverUrl}/${pathOrUrl.replace(/^\/+/, '')}`);
    } catch (cause) {
      throw new FhirError(ErrorCode.FHIR_REQUEST_FAILED, 'FHIR request: invalid URL', { cause, status: 400 });
    }
    if (!this.#isUnderBase(url)) {
      // SMART App Launch step 6: never send the token to another server.
      throw new FhirError(ErrorCode.FHIR_FOREIGN_URL, `FHIR request refused: ${url.origin} is not under the FHIR server URL`, {
        status: 502,
      });
    }
    return url;
  }

  #isUnderBase(url: URL): boolean {
    const basePath = this.#basePath;
    // URL parsing already resolved `..` and `%2e%2e` segments, so a prefix check is sound.
    return (
      url.origin === this.#base.origin &&
      !url.username && !url.password &&
      (basePath === '' || url.pathname === basePath || url.pathname.startsWith(`${basePath}/`))
    );
  }

  async #send<T>(url: URL, init: FhirRequestInit, label: string): Promise<T> {
    const fail = (message: string, options: ConstructorParameters<typeof FhirError>[2] = {}) =>
      new FhirError(ErrorCode.FHIR_REQUEST_FAILED, `FHIR ${label} failed: ${message}`, options);
    let token = await this.#options.getAccessToken();
    let retried = false;
    for (;;) {
      let res: Response;
      let text: string;
      try {
        const signal = AbortSignal.timeout(this.#timeoutMs);
        res = await this.#fetchFollowing(url, init, token, signal);
        text = await res.text();
      } catch (cause) {
        if (cause instanceof FhirError) throw cause;
        if (isAbort(cause)) {
          throw new FhirError(ErrorCode.TIMEOUT, `FHIR ${label} timed out after ${this.#timeoutMs} ms`, { status: 504 });
        }
        throw fail('network error', { cause, status: 502 });
      }
      // SMART App Launch step 7: on 401, get a fresh token once and retry once.
      if (res.status === 401 && !retried && this.#options.onUnauthorized) {
        retried = true;
        const fresh = await this.#options.onUnauthorized();
        if (fresh !== undefined) {
          token = fresh;
          continue;
        }
      }
      const body = parseJson(text);
      if (!res.ok) {
        const outcome = isOperationOutcome(body) ? body : undefined;
        throw fail(`${res.status} ${res.statusText}`.trim(), {
          status: res.status,
          response: { status: res.status, ...(outcome ? { body: outcome } : {}) },
        });
      }
      if (text.trim() === '') return undefined as T;
      if (body === undefined) throw fail('response is not JSON', { status: 502 });
      return body as T;
    }
  }

  /** fetch with manual redirects, so a redirect can never carry the token outside the base. */
  async #fetchFollowing(start: URL, init: FhirRequestInit, token: string, signal: AbortSignal): Promise<Response> {
    let url = start;
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body === undefined ? undefined : JSON.stringify(init.body);
    for (let hop = 0; ; hop++) {
      const headers = new Headers({ ...this.#options.headers, ...init.headers });
      if (!headers.has('accept')) headers.set('accept', FHIR_JSON);
      if (body !== undefined && !headers.has('content-type')) headers.set('content-type', FHIR_JSON);
      headers.set('authorization', `Bearer ${token}`);
      const res = await this.#fetch(url, { method, headers, body, signal, redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status < 300 || res.status > 399 || !location || hop >= MAX_REDIRECTS) return res;
      await res.body?.cancel();
      url = this.#resolveRedirect(new URL(location, url));
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
    }
  }

  #resolveRedirect(url: URL): URL {
    if (this.#isUnderBase(url)) return url;
    throw new FhirError(ErrorCode.FHIR_FOREIGN_URL, `FHIR request refused: redirect to ${url.origin} is outside the FHIR server URL`, {
      status: 502,
    });
  }
}

function checkType(resourceType: string): void {
  if (!RESOURCE_TYPE.test(resourceType)) {
    throw new FhirError(ErrorCode.FHIR_REQUEST_FAILED, 'FHIR request: invalid resource type', { status: 400 });
  }
}

function toSearchParams(params: FhirSearchParams | undefined): URLSearchParams {
  if (params instanceof URLSearchParams) return new URLSearchParams(params);
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    for (const item of Array.isArray(v) ? v : [v]) out.append(k, String(item));
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

function isOperationOutcome(body: unknown): body is OperationOutcome {
  return typeof body === 'object' && body !== null && (body as { resourceType?: unknown }).resourceType === 'OperationOutcome';
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
}
