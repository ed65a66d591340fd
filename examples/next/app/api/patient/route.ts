import type { Patient } from '@medplum/fhirtypes';
import { isSmartError } from '@smart-launch/core';
import { withSmart } from '../../../smart';

export const GET = withSmart(async (_request, s) => {
  if (!s.patient) return Response.json({ error: 'no_patient', message: 'This session has no patient in context' }, { status: 404 });
  try {
    return Response.json(await s.fhir.read<Patient>('Patient', s.patient));
  } catch (e) {
    if (!isSmartError(e)) console.error('example: unexpected error', (e as Error)?.name);
    return isSmartError(e)
      ? Response.json(e.toJSON(), { status: e.status >= 400 ? e.status : 500 })
      : Response.json({ error: 'internal_error', message: 'Something went wrong' }, { status: 500 });
  }
});
