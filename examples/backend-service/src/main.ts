import { createBackendClient } from '@smart-launch/core/backend';
import { isSmartError } from '@smart-launch/core';
import { loadConfig } from './config.js';
import { formatSummary, summarizeByExport, summarizeBySearch } from './summary.js';

// SMART Backend Services: a system-level client (client_credentials + private_key_jwt) that reads
// data for all patients. Tokens are cached and renewed by the client; nothing secret is printed.
const config = await loadConfig();
const client = createBackendClient({ iss: config.iss, clientId: config.clientId, privateKey: config.privateKey, scope: config.scope });
try {
  const summary = (config.export ? await summarizeByExport(client) : undefined) ?? (await summarizeBySearch(client));
  console.log(config.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
} catch (e) {
  console.error(`backend-service: ${isSmartError(e) ? `${e.code}: ${e.message}` : (e as Error).message}`);
  process.exitCode = 1;
}
