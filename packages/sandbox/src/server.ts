import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { makeControlHandler } from './control.js';
import { makeEhrHandler } from './ehr/launch.js';
import { makeFhirHandler } from './fhir/handler.js';
import { CORS_HEADERS, sendJson } from './http.js';
import { makeOidcFront } from './oidc/front.js';
import { makeInteractionHandler } from './oidc/interactions.js';
import { SMART_STYLE } from './smart-configuration.js';
import type { SandboxState } from './state.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/** One node http server: /fhir, /ehr, /interaction, /_sandbox, /smart-style.json; the rest is oidc-provider. */
export function createSandboxServer(provider: Provider, state: SandboxState): Server {
  const fhir = makeFhirHandler(provider, state);
  const ehr = makeEhrHandler(state);
  const interaction = makeInteractionHandler(provider, state);
  const control = makeControlHandler(state);
  const oidc = makeOidcFront(provider, state);

  const route = (path: string): Handler => {
    if (path === '/fhir' || path.startsWith('/fhir/')) return fhir;
    if (path === '/ehr' || path.startsWith('/ehr/')) return ehr;
    if (path.startsWith('/interaction/')) return interaction;
    if (path.startsWith('/_sandbox/')) return control;
    if (path === '/smart-style.json') return async (_req, res) => sendJson(res, 200, SMART_STYLE, CORS_HEADERS);
    if (path === '/') return async (_req, res) => { res.writeHead(302, { location: '/ehr/launch' }); res.end(); };
    return oidc;
  };

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', state.origin);
    route(url.pathname)(req, res, url).catch((error: unknown) => {
      state.log(`error on ${req.method} ${url.pathname}: ${(error as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.end();
    });
  });
}

export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
