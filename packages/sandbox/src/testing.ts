import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type Provider from 'oidc-provider';
import { displayName } from './fhir/data.js';
import { isKnownUser, toAccountId } from './oidc/accounts.js';
import { buildTokenContext, grantableUserScopes } from './oidc/context-builder.js';
import { parseScopeString } from './scopes.js';
import type { SandboxState } from './state.js';
import type { IssuedToken, IssueTokenRequest, SeedInput } from './testing-types.js';

export const DEFAULT_TOKEN_SCOPE = 'launch/patient openid fhirUser patient/*.rs';

/**
 * Mints an access token without an authorization request: an oidc-provider Grant and AccessToken
 * with the launch context bound to the grant, exactly what the token endpoint would have issued
 * (SMART App Launch 2.2 app-launch step 5), so the FHIR API and introspection accept it.
 */
export async function issueToken(state: SandboxState, provider: Provider, request: IssueTokenRequest = {}): Promise<IssuedToken> {
  const clientId = request.clientId ?? 'demo-public';
  const client = await provider.Client.find(clientId);
  if (!client) throw new TypeError(`issueToken: no client "${clientId}" is registered at the sandbox`);
  const accountId = toAccountId(request.user ?? state.defaultUser);
  if (!isKnownUser(state, accountId)) throw new TypeError(`issueToken: no user "${accountId}" in the sandbox data (seed() one first)`);
  const patient = request.patient?.replace(/^Patient\//, '');
  if (patient && !isKnownUser(state, `Patient/${patient}`)) throw new TypeError(`issueToken: no patient "${patient}" in the sandbox data (seed() one first)`);
  const expiresIn = request.expiresIn ?? state.options.accessTokenTtl;
  if (!Number.isInteger(expiresIn) || expiresIn <= 0) throw new TypeError(`issueToken: expiresIn must be a positive integer number of seconds, got ${String(expiresIn)}`);
  const scopes = grantableUserScopes(parseScopeString(request.scope ?? DEFAULT_TOKEN_SCOPE));

  const grant = new provider.Grant({ accountId, clientId });
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const grantId = await grant.save();
  const context = buildTokenContext(state, {
    accountId,
    scopes,
    launch: { ...(patient ? { patient } : {}), ...(request.encounter ? { encounter: request.encounter } : {}), user: accountId },
  });
  state.launches.bindGrant(grantId, context);
  const token = new provider.AccessToken({ accountId, client, grantId, scope: scopes.join(' '), expiresIn, gty: 'authorization_code' });
  const opaque = await token.save();
  // epic profile: the access token is a JWT wrapping the opaque one, as at the token endpoint.
  const accessToken = state.jwtAccessTokens ? await state.jwtAccessTokens.wrap(opaque, { sub: accountId, clientId, scope: scopes.join(' '), expiresIn }) : opaque;
  return {
    iss: state.fhirBaseUrl,
    accessToken,
    tokenType: 'Bearer',
    scope: scopes.join(' '),
    expiresAt: Math.floor(Date.now() / 1000) + expiresIn,
    ...(context.patient ? { patient: context.patient } : {}),
    ...(context.encounter ? { encounter: context.encounter } : {}),
    ...(context.fhirUser ? { fhirUser: context.fhirUser } : {}),
  };
}

/**
 * Loads a test's own resources into the FHIR store. Resources with an id keep it (update); others
 * get a new one, and references to their `urn:uuid:` fullUrl are rewritten (FHIR R4 Bundle
 * transaction processing, http.html#trules). Patients and Practitioners become sandbox users.
 */
export async function seed(state: SandboxState, input: SeedInput): Promise<Resource[]> {
  const entries: { resource: Resource; fullUrl?: string }[] = Array.isArray(input)
    ? input.map((resource) => ({ resource }))
    : input?.resourceType === 'Bundle'
      ? (input.entry ?? []).filter((e) => e.resource).map((e) => ({ resource: e.resource as Resource, ...(e.fullUrl ? { fullUrl: e.fullUrl } : {}) }))
      : (() => { throw new TypeError('seed: expected a FHIR Bundle or an array of resources'); })();
  const refs = new Map<string, string>();
  const prepared = entries.map(({ resource, fullUrl }) => {
    if (!resource || typeof resource.resourceType !== 'string') throw new TypeError('seed: every entry needs a resource with a resourceType');
    const id = resource.id ?? randomUUID();
    if (fullUrl?.startsWith('urn:uuid:')) refs.set(fullUrl, `${resource.resourceType}/${id}`);
    return { ...resource, id } as Resource;
  });
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'reference' && typeof x === 'string' && refs.has(x) ? refs.get(x) : rewrite(x)]));
    return v;
  };
  const stored: Resource[] = [];
  for (const resource of prepared) {
    const saved = await state.repo.updateResource(rewrite(resource) as Resource);
    stored.push(saved);
    if (saved.resourceType === 'Patient' || saved.resourceType === 'Practitioner') {
      const list = saved.resourceType === 'Patient' ? state.patients : state.practitioners;
      const user = { ref: `${saved.resourceType}/${saved.id}`, name: displayName(saved.name) || `${saved.resourceType}/${saved.id}` };
      const at = list.findIndex((u) => u.ref === user.ref);
      if (at >= 0) list[at] = user;
      else list.push(user);
    }
  }
  return stored;
}
