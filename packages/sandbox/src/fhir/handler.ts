import type { IncomingMessage, ServerResponse } from 'node:http';
import { getStatus, isResourceType } from '@medplum/core';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { FhirRouter, type HttpMethod } from '@medplum/fhir-router';
import type Provider from 'oidc-provider';
import { CORS_HEADERS, readBody, sendJson } from '../http.js';
import { makeBulk } from './bulk.js';
import type { Permission } from '../scopes.js';
import { SMART_STYLE, smartConfiguration } from '../smart-configuration.js';
import type { SandboxState } from '../state.js';
import { decideAccess } from './access.js';
import { validateBearer } from './bearer.js';
import { capabilityStatement } from './capability.js';
import { pageLinks } from './paging.js';

const FHIR_JSON = { ...CORS_HEADERS, 'content-type': 'application/fhir+json; charset=utf-8' };

function outcome(code: string, text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] } as OperationOutcome;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJson(res, status, body, { ...FHIR_JSON, ...headers });
}

/** Which SMART permission an interaction needs (SMART 2.2 scopes: c r u d s). */
function permissionFor(method: string, segments: string[]): Permission | undefined {
  if (segments[1] === '_search') return method === 'POST' ? 's' : undefined;
  if (segments.length === 1) return method === 'GET' ? 's' : method === 'POST' ? 'c' : undefined;
  if (segments.length >= 2 && !segments[1]!.startsWith('$')) {
    return ({ GET: 'r', PUT: 'u', PATCH: 'u', DELETE: 'd' } as Record<string, Permission>)[method];
  }
  return undefined;
}

/**
 * A FHIR R4 endpoint at `basePath` (`/fhir`, `/v/r4/fhir`, `/r4/<tenant>`): Medplum's FhirRouter +
 * MemoryRepository behind SMART scope checks.
 */
export function makeFhirHandler(provider: Provider, state: SandboxState, basePath = '/fhir') {
  const baseUrl = `${state.origin}${basePath}`;
  const router = new FhirRouter();
  const fhir = async (method: HttpMethod, path: string, body?: unknown) =>
    router.handleRequest({ method, url: path, pathname: '', params: {}, query: {}, body }, state.repo);

  const bulk = makeBulk(state);

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const rest = url.pathname.slice(basePath.length).replace(/^\/+|\/+$/gu, '');
    if (method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS);
      return void res.end();
    }
    // Public metadata: SMART discovery and the CapabilityStatement need no token.
    if (rest === '.well-known/smart-configuration') {
      // v1 profile: SMART App Launch 1.0 servers predate `.well-known/smart-configuration`
      // (hl7.org/fhir/smart-app-launch/1.0.0/conformance: discovery through the CapabilityStatement only).
      if (state.profile === 'v1') return send(res, 404, outcome('not-found', 'no SMART configuration: see metadata'));
      return sendJson(res, 200, smartConfiguration(state), CORS_HEADERS);
    }
    if (rest === 'metadata') return send(res, 200, capabilityStatement(state));
    if (rest === 'smart-style.json') return sendJson(res, 200, SMART_STYLE, CORS_HEADERS);

    const token = await validateBearer(req, provider, state);
    if (!token) {
      // RFC 6750 §3: challenge; invalid_token when a token was sent but is not valid.
      const challenge = req.headers.authorization
        ? 'Bearer realm="fhir", error="invalid_token", error_description="the access token is invalid or expired"'
        : 'Bearer realm="fhir"';
      return send(res, 401, outcome('login', 'a valid Bearer access token is required'), { 'www-authenticate': challenge });
    }
    const segments = rest.split('/').filter(Boolean).map(decodeURIComponent);
    // FHIR Bulk Data: $export at system, Patient and Group level, then its status and files.
    const last = segments[segments.length - 1];
    if (last === '$export' && method === 'GET' && (segments.length === 1 || (segments.length === 2 && segments[0] === 'Patient') || (segments.length === 3 && segments[0] === 'Group'))) {
      if (segments[0] === 'Group') return send(res, 404, outcome('not-found', `Group/${segments[1]} not found`));
      const prefer = req.headers.prefer;
      return bulk.kickOff(res, url, token, Array.isArray(prefer) ? prefer[0] : prefer);
    }
    if (segments[0] === '_bulk') return bulk.serve(res, method, segments.slice(1), token);
    const resourceType = segments[0];
    const permission = permissionFor(method, segments);
    if (!resourceType || !permission) return send(res, 403, outcome('forbidden', 'only type-level and instance-level interactions are available'));
    if (!isResourceType(resourceType)) return send(res, 404, outcome('not-found', `unknown resource type ${resourceType}`));

    const access = decideAccess(token.scopes, resourceType, permission, token.patient);
    if (!access.allowed) {
      return send(res, 403, outcome('forbidden', access.reason ?? 'forbidden'), {
        'www-authenticate': 'Bearer realm="fhir", error="insufficient_scope"',
      });
    }
    const restricted = access.filters.length > 0;

    if (permission === 's') {
      const query = new URLSearchParams(method === 'POST' ? await readBody(req) : url.search);
      return search(res, resourceType, query, access.filters);
    }
    const id = segments[1]!;
    if (permission === 'r') {
      if (restricted) {
        const inScope = await fhir('GET', `/${resourceType}?${new URLSearchParams([['_id', id], ...access.filters])}`);
        if (!(inScope[1] as Bundle | undefined)?.entry?.length) {
          const exists = await fhir('GET', `/${resourceType}/${encodeURIComponent(id)}`);
          return getStatus(exists[0]) === 200
            ? send(res, 403, outcome('forbidden', 'the resource is outside what the granted scopes allow'))
            : send(res, 404, outcome('not-found', `${resourceType}/${id} not found`));
        }
      }
      return reply(res, await fhir('GET', `/${rest}`));
    }
    // Writes: a compartment or constraint check on a body is not implemented, so restricted scopes can't write.
    if (restricted) return send(res, 403, outcome('forbidden', 'writes need an unrestricted user/ or system/ scope'));
    const body = method === 'DELETE' ? undefined : JSON.parse((await readBody(req)) || 'null');
    return reply(res, await fhir(method as HttpMethod, `/${rest}`, body));
  };

  function reply(res: ServerResponse, [result, resource]: [OperationOutcome, Resource?, unknown?]): void {
    const status = getStatus(result);
    send(res, status, resource ?? result);
  }

  async function search(res: ServerResponse, type: string, query: URLSearchParams, filters: [string, string][]): Promise<void> {
    const count = Math.min(Math.max(Number(query.get('_count') ?? 20) || 20, 1), 1000);
    const offset = Math.max(Number(query.get('_offset') ?? 0) || 0, 0);
    const own = new URLSearchParams(query);
    // FHIR search: a reference parameter may be a bare id (`patient=123`) as well as `Patient/123`;
    // Medplum's in-memory engine only matches the typed form, so bare ids are typed here.
    for (const [name, targetType] of [['patient', 'Patient'], ['subject', 'Patient'], ['encounter', 'Encounter']] as const) {
      const values = own.getAll(name);
      if (values.length && values.some((v) => /^[A-Za-z0-9\-.]{1,64}$/.test(v))) {
        own.delete(name);
        for (const v of values) own.append(name, /^[A-Za-z0-9\-.]{1,64}$/.test(v) ? `${targetType}/${v}` : v);
      }
    }
    own.set('_count', String(count));
    own.set('_offset', String(offset));
    const effective = new URLSearchParams([...own.entries(), ...filters]);
    const [result, bundle] = await fhir('GET', `/${type}?${effective}`);
    if (!bundle || getStatus(result) >= 400) return send(res, getStatus(result), bundle ?? result);
    const searchset = bundle as Bundle;
    for (const entry of searchset.entry ?? []) {
      if (entry.resource?.id) entry.fullUrl = `${baseUrl}/${entry.resource.resourceType}/${entry.resource.id}`;
      entry.search = { mode: 'match' };
    }
    searchset.link = pageLinks(`${baseUrl}/${type}`, own, count, offset, searchset.total ?? 0);
    send(res, 200, searchset);
  }
}
