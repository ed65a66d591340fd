import { Controller, Get, NotFoundException } from '@nestjs/common';
import type { Patient } from '@medplum/fhirtypes';
import type { SmartContext } from '@smart-launch/core';
import { Smart } from '@smart-launch/nestjs';

/** JSON API; the global SmartGuard answers 401 JSON without a session. */
@Controller('api')
export class ApiController {
  @Get('context')
  context(@Smart() s: SmartContext) {
    return { patient: s.patient ?? null, encounter: s.encounter ?? null, fhirUser: s.fhirUser ?? null, scope: s.scope, serverUrl: s.serverUrl, expiresAt: s.expiresAt ?? null };
  }

  @Get('patient')
  async patient(@Smart() s: SmartContext): Promise<Patient> {
    if (!s.patient) throw new NotFoundException({ error: 'no_patient', message: 'This session has no patient in context' });
    return s.fhir.read<Patient>('Patient', s.patient);
  }
}
