import { withSmart } from '../../../smart';

export const GET = withSmart((_request, s) =>
  Response.json({ patient: s.patient ?? null, encounter: s.encounter ?? null, fhirUser: s.fhirUser ?? null, scope: s.scope, serverUrl: s.serverUrl, expiresAt: s.expiresAt ?? null }),
);
