import { createServer } from 'node:net';
import type { ClientMetadata } from 'oidc-provider';
import { FailureInjector, type SimulatedFailure } from './failures.js';
import { loadData } from './fhir/data.js';
import { LaunchStore, type LaunchRequest } from './launch-context.js';
import { SandboxStore } from './oidc/adapter.js';
import { createProvider } from './oidc/provider.js';
import { resolveOptions, type SandboxOptions } from './options.js';
import { createSandboxServer, listen } from './server.js';
import type { SandboxState } from './state.js';
import { TokenStats } from './stats.js';

export { demoKeys } from './keys.js';
export type { SandboxOptions } from './options.js';
export type { SimulatedFailure, SimulatedFailureKind } from './failures.js';
export type { LaunchRequest, TokenContext, FhirContextItem } from './launch-context.js';
export type { ClientMetadata };

export interface Sandbox {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** http://127.0.0.1:PORT/fhir */
  fhirBaseUrl: string;
  /** The OIDC issuer (the origin); its discovery is at {issuer}/.well-known/openid-configuration. */
  issuer: string;
  stats(): { token: Record<string, number> };
  resetStats(): void;
  fail(f: SimulatedFailure): void;
  clearFailures(): void;
  revokeRefreshTokens(clientId?: string): Promise<number>;
  createLaunch(ctx: LaunchRequest): string;
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
  // The issuer and FHIR base must be known before the provider exists, so the port is fixed first.
  const port = options.port || (await freePort(options.host));
  const origin = `http://${options.host}:${port}`;
  const data = await loadData();
  const firstPatient = data.patients[0]?.ref.replace('Patient/', '') ?? 'p1';
  const state: SandboxState = {
    options,
    origin,
    fhirBaseUrl: `${origin}/fhir`,
    issuer: origin,
    repo: data.repo,
    launches: new LaunchStore(),
    failures: new FailureInjector(),
    stats: new TokenStats(),
    practitioners: data.practitioners,
    patients: data.patients,
    defaultPatient: options.defaultPatient ?? firstPatient,
    defaultUser: data.practitioners[0]?.ref ?? 'Practitioner/pr1',
    log: (message) => {
      if (!options.quiet) console.error(`[sandbox] ${message}`);
    },
  };
  const store = new SandboxStore();
  const provider = await createProvider(state, store);
  const server = createSandboxServer(provider, state);
  await listen(server, port, options.host);

  return {
    origin,
    fhirBaseUrl: state.fhirBaseUrl,
    issuer: state.issuer,
    stats: () => state.stats.snapshot(),
    resetStats: () => state.stats.reset(),
    fail: (f) => state.failures.arm(f),
    clearFailures: () => state.failures.clear(),
    revokeRefreshTokens: async (clientId) => store.revokeRefreshTokens(clientId),
    createLaunch: (ctx) => state.launches.create(ctx),
    stop: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}
