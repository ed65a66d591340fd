/** @smart-launch/core/backend — SMART Backend Services (client_credentials) and Bulk Data export. */
export { createBackendClient, type BackendClient, type BackendClientOptions, type BackendToken, type BackendTokenCache, type BackendTokenRequest } from './client.js';
export { BulkExport, type BulkExportRequest, type BulkExportJob, type BulkManifest, type BulkOutputFile, type BulkStatus, type BulkWaitOptions } from './bulk-export.js';
export { importSigningKey, signClientAssertion, type SigningKey, type AssertionAlg } from '../oauth/keys.js';
export type { ServiceHttpOptions } from '../oauth/service-http.js';
