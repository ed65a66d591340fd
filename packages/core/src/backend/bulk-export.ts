/**
 * FHIR Bulk Data Access 2.0 `$export` client: kick-off, status polling, NDJSON downloads, cancel.
 * Requests go through a {@link FhirClient}, so the bearer token never leaves the FHIR base URL.
 */
import type { Resource } from '@medplum/fhirtypes';
import { ErrorCode, FhirError } from '../errors.js';
import type { FhirClient } from '../fhir/client.js';
import { isSecureEnough } from '../url.js';

export interface BulkExportRequest {
  /** `system` (`[base]/$export`, default), `patient` (`[base]/Patient/$export`) or `{ group: id }`. */
  level?: 'system' | 'patient' | { group: string };
  /** `_type`: resource types to export. */
  types?: string[];
  /** `_since`: only resources changed after this instant. */
  since?: string | Date;
  /** `_outputFormat`; default the server's (application/fhir+ndjson). */
  outputFormat?: string;
  /** `_typeFilter` queries. */
  typeFilters?: string[];
}

export interface BulkExportJob {
  /** The status URL from the kick-off's Content-Location. */
  statusUrl: string;
}

export interface BulkOutputFile {
  type: string;
  url: string;
  count?: number;
}

/** The completion manifest (Bulk Data IG "Response - Complete Status"). */
export interface BulkManifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: BulkOutputFile[];
  error: BulkOutputFile[];
  [key: string]: unknown;
}

export type BulkStatus =
  | { status: 'in-progress'; progress?: string; retryAfterMs?: number }
  | { status: 'complete'; manifest: BulkManifest };

export interface BulkWaitOptions {
  /** Poll interval when the server sends no Retry-After. Default 2000 ms. */
  pollIntervalMs?: number;
  /** Give up after this long (the job keeps running; cancel it if you want). Default 1 hour. */
  maxWaitMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: string | undefined) => void;
}

const FHIR_JSON = 'application/fhir+json';
const MIN_POLL_MS = 100;
const MAX_POLL_MS = 120_000;

export class BulkExport {
  readonly #fhir: FhirClient;
  readonly #fetch: typeof fetch;
  constructor(fhir: FhirClient, options: { fetch?: typeof fetch } = {}) {
    this.#fhir = fhir;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Bulk Data IG kick-off: GET with `Prefer: respond-async`; the answer is 202 + Content-Location. */
  async kickOff(request: BulkExportRequest = {}): Promise<BulkExportJob> {
    const level = request.level ?? 'system';
    const path = level === 'system' ? '$export' : level === 'patient' ? 'Patient/$export' : `Group/${encodeURIComponent(checkId(level.group))}/$export`;
    const params = new URLSearchParams();
    if (request.types?.length) params.set('_type', request.types.join(','));
    if (request.since) params.set('_since', request.since instanceof Date ? request.since.toISOString() : request.since);
    if (request.outputFormat) params.set('_outputFormat', request.outputFormat);
    for (const f of request.typeFilters ?? []) params.append('_typeFilter', f);
    const query = params.toString();
    const res = await this.#fhir.fetchRaw(query ? `${path}?${query}` : path, { headers: { accept: FHIR_JSON, prefer: 'respond-async' } });
    if (res.status !== 202) throw await failure(res, 'bulk export kick-off');
    await res.body?.cancel();
    const location = res.headers.get('content-location');
    if (!location) throw new FhirError(ErrorCode.FHIR_REQUEST_FAILED, 'FHIR bulk export kick-off: the 202 answer has no Content-Location', { status: 502 });
    return { statusUrl: new URL(location, `${this.#fhir.serverUrl}/`).href };
  }

  /** One status request: in progress (X-Progress, Retry-After) or complete with the manifest. */
  async status(job: BulkExportJob): Promise<BulkStatus> {
    const res = await this.#fhir.fetchRaw(job.statusUrl, { headers: { accept: 'application/json' } });
    if (res.status === 202 || res.status === 429) {
      await res.body?.cancel();
      const progress = res.headers.get('x-progress') ?? undefined;
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      return { status: 'in-progress', ...(progress ? { progress } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }
    if (res.status !== 200) throw await failure(res, 'bulk export status');
    const body = (await res.json().catch(() => undefined)) as Partial<BulkManifest> | undefined;
    if (!body || typeof body !== 'object' || !Array.isArray(body.output)) {
      throw new FhirError(ErrorCode.FHIR_REQUEST_FAILED, 'FHIR bulk export status: the manifest has no output list', { status: 502 });
    }
    return {
      status: 'complete',
      manifest: { ...body, requiresAccessToken: body.requiresAccessToken === true, output: body.output, error: Array.isArray(body.error) ? body.error : [] } as BulkManifest,
    };
  }

  /** Polls until the export completes, honouring Retry-After. */
  async wait(job: BulkExportJob, options: BulkWaitOptions = {}): Promise<BulkManifest> {
    const deadline = Date.now() + (options.maxWaitMs ?? 3_600_000);
    for (;;) {
      options.signal?.throwIfAborted();
      const s = await this.status(job);
      if (s.status === 'complete') return s.manifest;
      options.onProgress?.(s.progress);
      const delay = Math.min(Math.max(s.retryAfterMs ?? options.pollIntervalMs ?? 2000, MIN_POLL_MS), MAX_POLL_MS);
      if (Date.now() + delay > deadline) throw new FhirError(ErrorCode.TIMEOUT, 'FHIR bulk export did not complete in time', { status: 504 });
      await sleep(delay, options.signal);
    }
  }

  /** Kick-off and wait: the manifest of a finished export. */
  async run(request: BulkExportRequest = {}, options: BulkWaitOptions = {}): Promise<BulkManifest & { statusUrl: string }> {
    const job = await this.kickOff(request);
    return { ...(await this.wait(job, options)), statusUrl: job.statusUrl };
  }

  /**
   * Streams the resources of one output file (NDJSON). With `requiresAccessToken` the file must lie
   * under the FHIR base URL (the token goes nowhere else, SMART App Launch step 6); otherwise it is
   * fetched without a token.
   */
  async *download<T extends Resource = Resource>(manifest: Pick<BulkManifest, 'requiresAccessToken'>, file: BulkOutputFile, options: { timeoutMs?: number } = {}): AsyncGenerator<T, void, undefined> {
    const timeoutMs = options.timeoutMs ?? 300_000;
    const headers = { accept: 'application/fhir+ndjson' };
    let res: Response;
    if (manifest.requiresAccessToken) {
      res = await this.#fhir.fetchRaw(file.url, { headers, timeoutMs });
    } else {
      if (!isSecureEnough(file.url, false)) throw new FhirError(ErrorCode.INSECURE_ENDPOINT, 'FHIR bulk export: an output file URL is not https', { status: 502 });
      res = await this.#fetch(file.url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    }
    if (!res.ok) throw await failure(res, `bulk export download (${file.type})`);
    if (!res.body) return;
    let buffer = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) yield parseLine<T>(line, file.type);
      }
    }
    buffer += decoder.decode();
    if (buffer.trim()) yield parseLine<T>(buffer.trim(), file.type);
  }

  /** Bulk Data IG "Delete a Bulk Data Request": DELETE on the status URL. */
  async cancel(job: BulkExportJob): Promise<void> {
    const res = await this.#fhir.fetchRaw(job.statusUrl, { method: 'DELETE', headers: { accept: FHIR_JSON } });
    if (res.status !== 202 && res.status !== 200 && res.status !== 204 && res.status !== 404) throw await failure(res, 'bulk export cancel');
    await res.body?.cancel();
  }
}

function checkId(id: string): string {
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id) || /^\.+$/.test(id)) throw new FhirError(ErrorCode.FHIR_REQUEST_FAILED, 'FHIR bulk export: invalid Group id', { status: 400 });
  return id;
}

function parseLine<T>(line: string, type: string): T {
  try {
    return JSON.parse(line) as T;
  } catch (cause) {
    throw new FhirError(ErrorCode.FHIR_REQUEST_FAILED, `FHIR bulk export download (${type}): a line is not JSON`, { cause, status: 502 });
  }
}

/** Retry-After: delay-seconds or an HTTP date (RFC 9110 10.2.3). */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(at - Date.now(), 0);
}

async function failure(res: Response, label: string): Promise<FhirError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const outcome = body && typeof body === 'object' && (body as { resourceType?: unknown }).resourceType === 'OperationOutcome' ? body : undefined;
  return new FhirError(ErrorCode.FHIR_REQUEST_FAILED, `FHIR ${label} failed: ${res.status} ${res.statusText}`.trim(), {
    status: res.status,
    response: { status: res.status, ...(outcome ? { body: outcome } : {}) },
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}
