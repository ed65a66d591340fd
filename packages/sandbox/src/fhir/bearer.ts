import type { IncomingMessage } from 'node:http';
import type Provider from 'oidc-provider';
import { parseScopeString } from '../scopes.js';
import type { SandboxState } from '../state.js';

export interface TokenInfo {
  clientId: string;
  scopes: string[];
  patient: string | undefined;
  /** `Practitioner/pr1` etc.; absent for backend services. */
  accountId: string | undefined;
}

/**
 * Validates an opaque access token in-process (RFC 6750 §2.1 header only; no query tokens).
 * Returns undefined for missing, unknown, expired or revoked tokens.
 */
export async function validateBearer(req: IncomingMessage, provider: Provider, state: SandboxState): Promise<TokenInfo | undefined> {
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/u.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  // epic: JWT access tokens wrap the opaque ones (profiles/jwt-access-tokens.ts).
  const value = (await state.jwtAccessTokens?.resolve(match[1])) ?? match[1];
  const token = (await provider.AccessToken.find(value)) ?? (await provider.ClientCredentials.find(value));
  if (!token || token.isExpired) return undefined;
  if (token.kind === 'AccessToken') {
    // A token whose grant was revoked is no longer valid (RFC 7009 §2.1).
    if (token.grantId && !(await provider.Grant.find(token.grantId))) return undefined;
    const context = state.launches.forGrant(token.grantId);
    return { clientId: token.clientId!, scopes: parseScopeString(token.scope), patient: context?.patient, accountId: token.accountId };
  }
  return { clientId: token.clientId!, scopes: parseScopeString(token.scope), patient: undefined, accountId: undefined };
}
