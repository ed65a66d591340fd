import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeControlHandler } from './control.js';
import { makeEhrHandler } from './ehr/launch.js';
import { makeFhirHandler } from './fhir/handler.js';
import { CORS_HEADERS, sendJson } from './http.js';
import type { Realm } from './realm.js';
import { makeOidcFront } from './oidc/front.js';
import { makeInteractionHandler } from './oidc/interactions.js';
import { SMART_STYLE } from './smart-configuration.js';
import type { TokenStats } from './stats.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * One node http server: FHIR bases, /ehr, /interaction, /_sandbox, /smart-style.json; the rest is
 * oidc-provider. Under cerner each tenant's authorization server lives below /tenants/<id>.
 */
export function createSandboxServer(realms: Realm[], stats: TokenStats): Server {
  const main = realms[0]!.state;
  const ehr = makeEhrHandler(realms.map((r) => r.state));
  const control = makeControlHandler(main);
  const byRealm = realms.map((realm) => ({
    realm,
    fhir: realm.fhirPaths.map((path) => ({ path, handler: makeFhirHandler(realm.provider, realm.state, path) })),
    interaction: makeInteractionHandler(realm.provider, realm.state),
    oidc: makeOidcFront(realm.provider, realm.state),
  }));

  const route = (req: IncomingMessage, path: string): Handler | undefined => {
    for (const r of byRealm) {
      for (const f of r.fhir) if (under(path, f.path)) return f.handler;
    }
    if (under(path, '/ehr')) return ehr;
    if (path.startsWith('/_sandbox/')) return control;
    if (path === '/smart-style.json') return async (_req, res) => sendJson(res, 200, SMART_STYLE, CORS_HEADERS);
    if (path === '/') return async (_req, res) => { res.writeHead(302, { location: '/ehr/launch' }); res.end(); };
    for (const r of byRealm) {
      const prefix = r.realm.state.asPrefix;
      if (prefix && !under(path, prefix)) continue;
      if (prefix) {
        // oidc-provider derives its mount path from originalUrl vs url (lib/helpers/oidc_context.js urlFor).
        (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
        req.url = (req.url ?? '/').slice(prefix.length) || '/';
      }
      const rest = path.slice(prefix.length) || '/';
      return rest.startsWith('/interaction/') ? r.interaction : r.oidc;
    }
    return undefined;
  };

  return createServer((req, res) => {
    // epic profile: apps send `Epic-Client-ID` on every call (fhir.epic.com/Documentation?docId=oauth2,
    // "Epic-Client-ID" header); it is accepted, recorded for tests, and otherwise ignored.
    const epicClientId = req.headers['epic-client-id'];
    if (main.profile === 'epic' && typeof epicClientId === 'string' && epicClientId) stats.recordEpicClientId(epicClientId);
    const original = new URL(req.url ?? '/', main.origin);
    const handler = route(req, original.pathname);
    if (!handler) return sendJson(res, 404, { error: 'not_found' });
    const url = new URL(req.url ?? '/', main.origin);
    handler(req, res, url).catch((error: unknown) => {
      main.log(`error on ${req.method} ${original.pathname}: ${(error as Error).message}`);
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
