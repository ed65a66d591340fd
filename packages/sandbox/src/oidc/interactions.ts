import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { readBody, sendHtml } from '../http.js';
import { parseScopeString } from '../scopes.js';
import type { SandboxState } from '../state.js';
import { isKnownUser } from './accounts.js';
import { grantableUserScopes, needsPatient } from './context-builder.js';
import { createGrant } from './grants.js';
import { consentPage, loginPage } from './interaction-pages.js';

/** Login and consent pages (oidc-provider "interactions"), plain server-rendered HTML. */
export function makeInteractionHandler(provider: Provider, state: SandboxState) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const details = await provider.interactionDetails(req, res);
    const { uid, prompt, params } = details;
    const client = await provider.Client.find(String(params.client_id));
    const clientName = client?.clientName ?? String(params.client_id);
    const action = url.pathname.split('/')[3];

    if (req.method === 'GET' && prompt.name === 'login') {
      return sendHtml(res, 200, loginPage(uid, clientName, state.practitioners, state.patients, state.asPrefix));
    }
    if (req.method === 'GET' && prompt.name === 'consent') {
      const scopes = grantableUserScopes(parseScopeString(params.scope as string | undefined));
      const launch = params.launch ? state.launches.find(String(params.launch)) : undefined;
      const pick = needsPatient(scopes) && !launch?.patient && !details.session?.accountId?.startsWith('Patient/');
      return sendHtml(res, 200, consentPage({
        uid,
        clientName,
        user: String(details.session?.accountId ?? ''),
        scopes,
        patientChoices: pick ? state.patients : undefined,
        defaultPatient: state.defaultPatient,
        launchPatient: launch?.patient,
        prefix: state.asPrefix,
      }));
    }
    if (req.method !== 'POST') return sendHtml(res, 400, 'unexpected interaction request');
    const form = new URLSearchParams(await readBody(req));

    if (action === 'login' && prompt.name === 'login') {
      const user = form.get('user') ?? '';
      if (!isKnownUser(state, user)) return sendHtml(res, 400, 'unknown user');
      return provider.interactionFinished(req, res, { login: { accountId: user } }, { mergeWithLastSubmission: false });
    }
    if (action === 'confirm' && prompt.name === 'consent') {
      if (form.get('decision') !== 'approve') {
        // RFC 6749 §4.1.2.1: the resource owner denied the request.
        return provider.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: 'the user denied the authorization request',
        }, { mergeWithLastSubmission: false });
      }
      const requested = grantableUserScopes(parseScopeString(params.scope as string | undefined));
      const kept = new Set(form.getAll('scope'));
      const patient = form.get('patient') ?? undefined;
      const grantId = await createGrant(provider, state, {
        accountId: String(details.session?.accountId),
        clientId: String(params.client_id),
        requestedScope: params.scope as string | undefined,
        launchId: params.launch as string | undefined,
        chosenPatient: patient && isKnownUser(state, `Patient/${patient}`) ? patient : undefined,
        refused: requested.filter((s) => !kept.has(s)),
      });
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    return sendHtml(res, 400, 'unexpected interaction step');
  };
}
