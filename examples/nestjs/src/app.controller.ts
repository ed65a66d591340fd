import { Controller, Get, Header } from '@nestjs/common';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import type { SmartContext } from '@smart-launch/core';
import { Public, Smart } from '@smart-launch/nestjs';
import { appPage, signedOutPage } from './views.js';

/** The app page: a patient summary (banner + latest vitals); without a session, a launch link. */
@Controller()
export class AppController {
  @Get()
  @Public()
  @Header('content-type', 'text/html; charset=utf-8')
  async page(@Smart({ optional: true }) smart: SmartContext | null): Promise<string> {
    if (!smart?.patient) return signedOutPage();
    const { fhir, patient } = smart;
    const [p, vitals] = await Promise.all([
      fhir.read<Patient>('Patient', patient),
      fhir
        .search<Observation>('Observation', { patient, category: 'vital-signs', _sort: '-date', _count: 10 })
        .catch((): Bundle<Observation> => ({ resourceType: 'Bundle', type: 'searchset', entry: [] })),
    ]);
    return appPage({
      patient: p,
      observations: (vitals.entry ?? []).map((x) => x.resource!).filter(Boolean),
      ...(smart.fhirUser ? { fhirUser: smart.fhirUser } : {}),
      showBanner: smart.needPatientBanner !== false,
    });
  }
}
