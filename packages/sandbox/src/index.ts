// First: oidc-provider's import-time notices are held back (quiet.ts).
import './hold-notices.js';
import { createServer } from 'node:net';
import type { Resource } from '@medplum/fhirtypes';
import type { ClientMetadata } from './client-metadata.js';
import { FailureInjector, type SimulatedFailure } from './failures.js';
import { loadData } from './fhir/data.js';
import { LaunchStore, type LaunchRequest } from './launch-context.js';
import { SandboxStore } from './oidc/adapter.js';
import { createProvider, OIDC_ROUTES, signingKey } from './oidc/provider.js';
import { resolveOptions, type ResolvedOptions, type SandboxOptions } from './options.js';
import { JwtAccessTokens } from './profiles/jwt-access-tokens.js';
import { CERNER_TENANTS, LAUNCHER_EHR_FHIR_PATH, type SandboxProfile } from './profiles/profiles.js';
import { createSandboxServer, listen } from './server.js';
import type { Realm } from './realm.js';
import type { SandboxState } from './state.js';
import { TokenStats } from './stats.js';
import { releaseImportNotices, sandboxStarted } from './quiet.js';
import { issueToken, seed } from './testing.js';
import type { IssuedToken, IssueTokenRequest, SeedInput } from './testing-types.js';

releaseImportNotices();

export { demoKeys } from './keys.js';
export type { SandboxOptions } from './options.js';
export type { SimulatedFailure, SimulatedFailureKind } from './failures.js';
export type { LaunchRequest, TokenContext, FhirContextItem } from './launch-context.js';
export type { ClientMetadata };
export type { IssuedToken, IssueTokenRequest, SeedInput } from './testing-types.js';
export { SANDBOX_PROFILES, CERNER_TENANTS, MEDPLUM_CLIENT, type SandboxProfile } from './profiles/profiles.js';

/** One authorization server + FHIR base pair. Every profile has one, cerner has one per tenant. */
export interface SandboxTenant {
  /** Cerner tenant id; `default` in the other profiles. */
  id: string;
  /** Standalone launch `iss` (and `aud`) of this tenant. */
  fhirBaseUrl: string;
  /** The `iss` `/ehr/launch` hands out for this tenant (also accepted as `aud`). */
  ehrIssuer: string;
  /** OIDC issuer; discovery at `{issuer}/.well-known/openid-configuration`. */
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

export interface Sandbox {
  /** The vendor profile the sandbox plays. */
  profile: SandboxProfile;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Standalone launch `iss`: `{origin}/fhir`; under cerner the first tenant's `{origin}/r4/<tenant>`. */
  fhirBaseUrl: string;
  /** The `iss` an EHR launch (`/ehr/launch`, default tenant) hands out: equal to fhirBaseUrl except under launcher (`{origin}/v/r4/fhir`). */
  ehrIssuer: string;
  /**
   * An allowlist pattern matching every FHIR base of this sandbox: `{origin}/r4/:tenant` under cerner,
   * otherwise the fhirBaseUrl itself.
   */
  fhirBaseUrlPattern: string;
  /** The OIDC issuer of the default tenant; its discovery is at {issuer}/.well-known/openid-configuration. */
  issuer: string;
  /** Authorization and token endpoints of the default tenant. */
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** Every tenant (one entry, id `default`, outside cerner). */
  tenants: SandboxTenant[];
  /** URL that starts an EHR launch of `launchUrl` without a browser (302 to `launchUrl?iss=…&launch=…`). */
  ehrLaunchUrl(launchUrl: string, context?: { patient?: string; user?: string; encounter?: string; tenant?: string }): string;
  stats(): { token: Record<string, number>; epicClientIds: string[] };
  resetStats(): void;
  fail(f: SimulatedFailure): void;
  clearFailures(): void;
  revokeRefreshTokens(clientId?: string): Promise<number>;
  createLaunch(ctx: LaunchRequest): string;
  /**
   * A real access token the FHIR API accepts, as if `user` had approved `scope` for `clientId`
   * (no browser, no authorization request). Spreads into `@smart-launch/testing`'s
   * `sessionCookie(config, token)`, so a minted session can read FHIR.
   */
  issueToken(request?: IssueTokenRequest): Promise<IssuedToken>;
  /** Loads a test's own resources (a Bundle or an array); Patients and Practitioners become users. */
  seed(resources: SeedInput): Promise<Resource[]>;
  stop(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, host, resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}


/** Starts a SMART App Launch 2.x sandbox: authorization server (oidc-provider) + FHIR R4 (Medplum). */
export async function startSandbox(input: SandboxOptions = {}): Promise<Sandbox> {
  const options = resolveOptions(input);
  const endQuiet = sandboxStarted(options.quiet);
  for (let attempt = 1; ; attempt++) {
    // The issuer and FHIR base must be known before the provider exists, so the port is fixed first.
    const port = options.port || (await freePort(options.host));
    try {
      return await startOn(options, port, endQuiet);
    } catch (e) {
      // Another process took the free port before the sandbox listened on it (busy test runs
      // open many connections): the URLs carry the port, so build the sandbox again on another.
      if (options.port || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw e;
    }
  }
}

async function startOn(options: ResolvedOptions, port: number, endQuiet: () => void): Promise<Sandbox> {
  const { profile } = options;
  const origin = `http://${options.host}:${port}`;
  const data = await loadData();
  const firstPatient = data.patients[0]?.ref.replace('Patient/', '') ?? 'p1';
  const shared = {
    options,
    profile,
    origin,
    repo: data.repo,
    launches: new LaunchStore(),
    failures: new FailureInjector(),
    stats: new TokenStats(),
    practitioners: data.practitioners,
    patients: data.patients,
    defaultPatient: options.defaultPatient ?? firstPatient,
    defaultUser: data.practitioners[0]?.ref ?? 'Practitioner/pr1',
    log: (message: string) => {
      if (!options.quiet) console.error(`[sandbox] ${message}`);
    },
  };

  // cerner: one authorization server per tenant under /tenants/<id>, FHIR under /r4/<id>
  // (fhir.cerner.com/authorization: tenant-templated AS and FHIR URLs). Others: one realm.
  const layout = profile === 'cerner'
    ? CERNER_TENANTS.map((id) => ({ id, fhirPath: `/r4/${id}`, asPrefix: `/tenants/${id}` }))
    : [{ id: undefined, fhirPath: '/fhir', asPrefix: '' }];
  const realms: Realm[] = [];
  for (const { id, fhirPath, asPrefix } of layout) {
    const fhirBaseUrl = `${origin}${fhirPath}`;
    const fhirPaths = [fhirPath];
    let ehrIssuer = fhirBaseUrl;
    // smart-launcher-v2 backend/routes/launcher.ts: EHR launches get `iss` {origin}/v/r4/fhir, a
    // different base (same data, own .well-known) than the standalone one.
    if (profile === 'launcher') {
      ehrIssuer = `${origin}${LAUNCHER_EHR_FHIR_PATH}`;
      fhirPaths.push(LAUNCHER_EHR_FHIR_PATH);
    }
    const state: SandboxState = {
      ...shared,
      fhirBaseUrl,
      ehrIssuer,
      issuer: `${origin}${asPrefix}`,
      asPrefix,
      asBase: `${origin}${asPrefix}`,
      tenant: id,
      signingKey: await signingKey(profile),
    };
    if (profile === 'epic') state.jwtAccessTokens = new JwtAccessTokens(state);
    const store = new SandboxStore();
    realms.push({ state, store, fhirPaths, provider: await createProvider(state, store) });
  }
  const server = createSandboxServer(realms, shared.stats);
  await listen(server, port, options.host);

  const main = realms[0]!.state;
  const tenants: SandboxTenant[] = realms.map(({ state }) => ({
    id: state.tenant ?? 'default',
    fhirBaseUrl: state.fhirBaseUrl,
    ehrIssuer: state.ehrIssuer,
    issuer: state.issuer,
    authorizationEndpoint: `${state.asBase}${OIDC_ROUTES.authorization}`,
    tokenEndpoint: `${state.asBase}${OIDC_ROUTES.token}`,
  }));
  return {
    profile,
    origin,
    fhirBaseUrl: main.fhirBaseUrl,
    ehrIssuer: main.ehrIssuer,
    fhirBaseUrlPattern: profile === 'cerner' ? `${origin}/r4/:tenant` : main.fhirBaseUrl,
    issuer: main.issuer,
    authorizationEndpoint: tenants[0]!.authorizationEndpoint,
    tokenEndpoint: tenants[0]!.tokenEndpoint,
    tenants,
    ehrLaunchUrl: (launchUrl, context = {}) => {
      const q = new URLSearchParams({ launch_url: launchUrl });
      for (const [k, v] of Object.entries(context)) if (v) q.set(k, v);
      return `${origin}/ehr/launch?${q}`;
    },
    stats: () => shared.stats.snapshot(),
    resetStats: () => shared.stats.reset(),
    fail: (f) => shared.failures.arm(f),
    clearFailures: () => shared.failures.clear(),
    revokeRefreshTokens: async (clientId) => realms.reduce((n, r) => n + r.store.revokeRefreshTokens(clientId), 0),
    createLaunch: (ctx) => shared.launches.create(ctx),
    issueToken: (request = {}) => {
      const realm = request.tenant ? realms.find((r) => r.state.tenant === request.tenant) : realms[0];
      if (!realm) return Promise.reject(new TypeError(`issueToken: no tenant "${request.tenant}" (tenants: ${tenants.map((t) => t.id).join(', ')})`));
      return issueToken(realm.state, realm.provider, request);
    },
    seed: (resources) => seed(main, resources),
    stop: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }).finally(endQuiet),
  };
}
