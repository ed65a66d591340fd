/**
 * Shared plumbing of the server-to-server workflows (backend services, registration,
 * introspection, resource server): HTTP options, endpoint checks, key import. Internal.
 */
import type { JWK } from 'jose';
import type { PrivateKeyInput } from '../config.js';
import { Discovery } from './discovery.js';
import { ConfigError } from '../errors.js';
import { importSigningKey, type AssertionAlg, type SigningKey } from './keys.js';
import { isSecureEnough } from '../url.js';
import { cappedFetch, DEFAULT_MAX_RESPONSE_BYTES } from './limits.js';

/** HTTP settings every server-to-server helper accepts. */
export interface ServiceHttpOptions {
  /** fetch used for every outbound call (tests, proxies). Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Timeout of each call, in ms. Default 10000. */
  timeoutMs?: number;
  /**
   * Allow http:// endpoints that are not on a loopback host. Never in production:
   * SMART requires TLS (RFC 6749 sections 3.1-3.2; https://hl7.org/fhir/smart-app-launch/app-launch.html).
   */
  dangerouslyAllowInsecureHttp?: boolean;
  /** A shared discovery cache; default one per helper instance (TTL 1 hour). */
  discovery?: Discovery;
  /**
   * Cap on each response body read from the authorization server (discovery, token, JWKS,
   * registration, introspection), read streaming; bigger answers fail with `response_too_large`.
   * Default 1 MiB. FHIR data is not capped.
   */
  maxResponseBytes?: number;
}

export interface ResolvedHttp {
  /** For FHIR data (not capped). */
  fetch: typeof fetch;
  /** For the authorization server's answers: bodies capped at `maxResponseBytes`. */
  authFetch: typeof fetch;
  maxResponseBytes: number;
  httpTimeoutMs: number;
  allowInsecureHttp: boolean;
  discovery: Discovery;
}

export function resolveHttp(options: ServiceHttpOptions, where: string): ResolvedHttp {
  const f = options.fetch ?? globalThis.fetch;
  if (typeof f !== 'function') throw new ConfigError(`${where}: \`fetch\` must be a fetch-compatible function`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 100)) throw new ConfigError(`${where}: \`timeoutMs\` must be a number >= 100`);
  const allowInsecureHttp = options.dangerouslyAllowInsecureHttp === true;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (typeof maxResponseBytes !== 'number' || !(maxResponseBytes >= 1024)) throw new ConfigError(`${where}: \`maxResponseBytes\` must be a number >= 1024`);
  const discovery = options.discovery ?? new Discovery({ fetch: f, ttlSeconds: 3600, timeoutMs, allowInsecureHttp, maxResponseBytes });
  return { fetch: f, authFetch: cappedFetch(f, maxResponseBytes), maxResponseBytes, httpTimeoutMs: timeoutMs, allowInsecureHttp, discovery };
}

/** An endpoint URL given in options: absolute http(s), TLS unless loopback (RFC 6749 sections 3.1-3.2). */
export function checkEndpoint(where: string, key: string, value: unknown, allowInsecure: boolean): string {
  if (typeof value !== 'string' || !/^https?:\/\//i.test(value)) throw new ConfigError(`${where}: \`${key}\` must be an absolute http(s) URL`);
  if (!isSecureEnough(value, allowInsecure)) throw new ConfigError(`${where}: \`${key}\` must use https (http only on loopback hosts): "${value}"`);
  return value;
}

export function checkNonEmpty(where: string, key: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${where}: \`${key}\` must be a non-empty string`);
  return value.trim();
}

/** `privateKey` (one or several) or a private `jwks` ({ keys: [...] }); validated shape only. */
export function privateKeyList(where: string, privateKey: PrivateKeyInput | PrivateKeyInput[] | undefined, jwks: { keys: JWK[] | PrivateKeyInput[] } | undefined): PrivateKeyInput[] {
  if (privateKey !== undefined && jwks !== undefined) throw new ConfigError(`${where}: set either \`privateKey\` or \`jwks\`, not both`);
  if (jwks !== undefined && (!jwks || !Array.isArray(jwks.keys))) throw new ConfigError(`${where}: \`jwks\` must be a JWK Set ({ keys: [...] }) of private keys`);
  const list = (jwks ? jwks.keys : privateKey === undefined ? [] : Array.isArray(privateKey) ? privateKey : [privateKey]) as PrivateKeyInput[];
  for (const k of list) {
    if (typeof k !== 'string' && (typeof k !== 'object' || k === null)) throw new ConfigError(`${where}: every private key must be a JWK or a PKCS#8 PEM string`);
  }
  return list;
}

/** Imports the keys once; a bad key is a ConfigError that never shows the key material. */
export function importKeys(list: PrivateKeyInput[], alg?: AssertionAlg): Promise<SigningKey[]> {
  return Promise.all(list.map((k) => importSigningKey(k, alg)));
}

/** Runs `load` once per key at a time; concurrent callers share the promise (single-flight). */
export class SingleFlight<T> {
  readonly #inflight = new Map<string, Promise<T>>();
  run(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.#inflight.get(key);
    if (!p) {
      p = load().finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    return p;
  }
}
