import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { sendJson } from '../http.js';
import type { SandboxState } from '../state.js';
import { decideAccess } from './access.js';
import type { TokenInfo } from './bearer.js';

/** Types the sandbox's synthetic data has; what a bulk export without `_type` returns. */
const EXPORT_TYPES = ['Patient', 'Practitioner', 'Encounter', 'Observation', 'Condition', 'MedicationRequest', 'AllergyIntolerance'];

interface Job {
  clientId: string;
  request: string;
  transactionTime: string;
  files: Map<string, string>;
  polls: number;
}

/**
 * FHIR Bulk Data Access (async pattern): `$export` kick-off (system, Patient, Group levels) with
 * `Prefer: respond-async` -> 202 + Content-Location; the status URL answers 202 once (X-Progress),
 * then the manifest; NDJSON files need the same client's bearer token. For backend services with
 * unrestricted `system/` (or `user/`) read scopes only.
 */
export function makeBulk(state: SandboxState) {
  const jobs = new Map<string, Job>();
  const base = () => `${state.fhirBaseUrl}/_bulk`;

  async function ndjson(type: string): Promise<string> {
    const bundle = (await state.repo.search({ resourceType: type as Resource['resourceType'], count: 10_000 })) as Bundle;
    return (bundle.entry ?? []).map((e) => JSON.stringify(e.resource)).join('\n') + ((bundle.entry ?? []).length ? '\n' : '');
  }

  async function kickOff(res: ServerResponse, url: URL, token: TokenInfo, prefer: string | undefined): Promise<void> {
    if (!/respond-async/i.test(prefer ?? '')) return sendJson(res, 400, outcome('invalid', 'bulk export needs Prefer: respond-async'));
    const types = (url.searchParams.get('_type') ?? '').split(',').map((t) => t.trim()).filter(Boolean);
    const wanted = types.length ? types : EXPORT_TYPES;
    const unknown = wanted.filter((t) => !EXPORT_TYPES.includes(t));
    if (unknown.length) return sendJson(res, 400, outcome('not-supported', `unsupported _type: ${unknown.join(',')}`));
    // Bulk data is for unrestricted read scopes: no patient compartment, no query constraints.
    const allowed = wanted.filter((t) => {
      const d = decideAccess(token.scopes, t, 'r', undefined);
      return d.allowed && d.filters.length === 0 && !token.patient;
    });
    if (types.length ? allowed.length !== wanted.length : allowed.length === 0) {
      return sendJson(res, 403, outcome('forbidden', 'bulk export needs system/ (or user/) read scopes for the exported types'), { 'www-authenticate': 'Bearer error="insufficient_scope"' });
    }
    const files = new Map<string, string>();
    for (const t of allowed) files.set(t, await ndjson(t));
    const id = randomUUID();
    jobs.set(id, { clientId: token.clientId, request: url.href, transactionTime: new Date().toISOString(), files, polls: 0 });
    res.writeHead(202, { 'content-location': `${base()}/status/${id}` });
    res.end();
  }

  /** GET/DELETE {fhir}/_bulk/status/{id}, GET {fhir}/_bulk/files/{id}/{type}.ndjson */
  function serve(res: ServerResponse, method: string, segments: string[], token: TokenInfo): void {
    const [kind, id, file] = segments;
    const job = id ? jobs.get(id) : undefined;
    // A job belongs to the client that started it.
    if (!job || job.clientId !== token.clientId) return sendJson(res, 404, outcome('not-found', 'no such bulk export job'));
    if (kind === 'status' && method === 'DELETE') {
      jobs.delete(id!);
      res.writeHead(202);
      return void res.end();
    }
    if (kind === 'status' && method === 'GET') {
      if (job.polls++ === 0) {
        res.writeHead(202, { 'x-progress': 'preparing files', 'retry-after': '0' });
        return void res.end();
      }
      return sendJson(res, 200, {
        transactionTime: job.transactionTime,
        request: job.request,
        requiresAccessToken: true,
        output: [...job.files].map(([type, body]) => ({ type, url: `${base()}/files/${id}/${type}.ndjson`, count: body ? body.trimEnd().split('\n').length : 0 })),
        error: [],
      });
    }
    const type = file?.replace(/\.ndjson$/, '');
    if (kind === 'files' && method === 'GET' && type && job.files.has(type)) {
      res.writeHead(200, { 'content-type': 'application/fhir+ndjson' });
      return void res.end(job.files.get(type));
    }
    sendJson(res, 404, outcome('not-found', 'not found'));
  }

  return { kickOff, serve, reset: () => jobs.clear() };
}

function outcome(code: string, diagnostics: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}
