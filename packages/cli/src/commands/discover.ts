import { parseArgs } from 'node:util';
import { discover as discoverConfiguration, type SmartConfiguration } from '@smart-launch/core';
import { UsageError, type CliIo } from '../io.js';

export const DISCOVER_HELP = `smart-launch discover <fhir base url> [--json] [--fallback] [--dangerously-allow-insecure-http]
  Fetches {base}/.well-known/smart-configuration, prints it and checks it against SMART 2.2
  (exit code 1 when a required item is missing). --fallback also tries the CapabilityStatement.`;

export interface Check {
  ok: boolean | 'warn';
  what: string;
}

/** SMART 2.2 conformance §Metadata checks on a (validated) smart-configuration. */
export function checkConfiguration(doc: SmartConfiguration, raw: Record<string, unknown> | undefined): Check[] {
  const caps = new Set(doc.capabilities);
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
  const launch = caps.has('launch-ehr') || caps.has('launch-standalone');
  const methods = list(raw?.code_challenge_methods_supported);
  const grants = list(doc.grant_types_supported);
  const checks: Check[] = [
    { ok: !!doc.token_endpoint, what: 'token_endpoint is present' },
    { ok: !!grants?.length, what: 'grant_types_supported is present' },
    { ok: caps.size > 0, what: 'capabilities is present and not empty' },
    // SMART 2.2: S256 required, plain never.
    { ok: !!methods?.includes('S256') && !methods.includes('plain'), what: 'code_challenge_methods_supported has S256 and not plain' },
  ];
  if (launch) checks.push({ ok: !!doc.authorization_endpoint, what: 'authorization_endpoint is present (launch-ehr/launch-standalone advertised)' });
  if (caps.has('sso-openid-connect')) checks.push({ ok: !!doc.issuer && !!doc.jwks_uri, what: 'issuer and jwks_uri are present (sso-openid-connect advertised)' });
  if (caps.has('client-confidential-asymmetric') || grants?.includes('client_credentials')) {
    const algs = list(doc.token_endpoint_auth_signing_alg_values_supported);
    checks.push({ ok: !algs ? 'warn' : algs.includes('RS384') || algs.includes('ES384'), what: 'token_endpoint_auth_signing_alg_values_supported lists RS384 or ES384' });
  }
  const http = Object.entries(doc).filter(([k, v]) => (k.endsWith('_endpoint') || k === 'jwks_uri') && typeof v === 'string' && v.startsWith('http:'));
  checks.push({ ok: http.length ? 'warn' : true, what: http.length ? `endpoints over plain http (loopback only): ${http.map(([k]) => k).join(', ')}` : 'every endpoint uses https' });
  return checks;
}

export async function discover(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, fallback: { type: 'boolean', default: false }, 'dangerously-allow-insecure-http': { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new UsageError('expected: discover <fhir base url>');
  const base = positionals[0]!.replace(/\/+$/, '');
  const f = io.fetch ?? globalThis.fetch;
  const doc = await discoverConfiguration(base, {
    fetch: f,
    allowInsecureHttp: values['dangerously-allow-insecure-http']!,
    capabilityStatementFallback: values.fallback!,
  });
  // The raw document too: discovery fills in defaults (S256) that the check must not see.
  const raw = await f(`${base}/.well-known/smart-configuration`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) })
    .then((r) => (r.ok ? (r.json() as Promise<Record<string, unknown>>) : undefined))
    .catch(() => undefined);
  const checks = checkConfiguration(doc, raw);
  const failed = checks.some((c) => c.ok === false);
  if (values.json) {
    io.stdout(JSON.stringify({ iss: base, configuration: doc, checks, ok: !failed }, null, 2));
    return failed ? 1 : 0;
  }
  const lines = [`SMART configuration of ${base}${raw ? '' : ' (from the CapabilityStatement)'}`];
  for (const k of ['issuer', 'authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'jwks_uri', 'management_endpoint']) {
    if (typeof doc[k] === 'string') lines.push(`  ${k.padEnd(24)} ${doc[k] as string}`);
  }
  for (const k of ['grant_types_supported', 'token_endpoint_auth_methods_supported', 'token_endpoint_auth_signing_alg_values_supported', 'code_challenge_methods_supported']) {
    if (Array.isArray(doc[k])) lines.push(`  ${k.padEnd(24)} ${(doc[k] as string[]).join(', ')}`);
  }
  lines.push(`  capabilities             ${doc.capabilities.join(', ')}`, 'Checks');
  for (const c of checks) lines.push(`  ${c.ok === true ? 'ok  ' : c.ok === 'warn' ? 'warn' : 'FAIL'} ${c.what}`);
  io.stdout(lines.join('\n'));
  return failed ? 1 : 0;
}
