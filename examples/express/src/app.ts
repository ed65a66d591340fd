import express, { type Express } from 'express';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { isSmartError, type SmartConfig } from '@smart-launch/core';
import { requireSmart, smart } from '@smart-launch/express';
import { appPage, signedOutPage } from './views.js';

/** The example app: a patient summary (banner + latest vitals), per the shared contract. */
export function createApp(config: SmartConfig, options: { frameAncestors?: string } = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  // Who may show these pages in a frame (the EHR embeds the app); never X-Frame-Options: DENY.
  if (options.frameAncestors) app.use((_req, res, next) => void (res.setHeader('content-security-policy', `frame-ancestors ${options.frameAncestors}`), next()));
  app.use(smart(config));

  app.get('/', async (req, res, next) => {
    if (!req.smart?.patient) return void res.type('html').send(signedOutPage());
    try {
      const { fhir, patient } = req.smart;
      const [p, vitals] = await Promise.all([
        fhir.read<Patient>('Patient', patient),
        fhir.search<Observation>('Observation', { patient, category: 'vital-signs', _sort: '-date', _count: 10 }).catch((e: unknown): Bundle<Observation> => {
          console.warn(`example: vital signs search failed: ${(e as Error).message}`);
          return { resourceType: 'Bundle', type: 'searchset', entry: [] };
        }),
      ]);
      res.type('html').send(appPage({ patient: p, observations: (vitals.entry ?? []).map((x) => x.resource!).filter(Boolean), ...(req.smart.fhirUser ? { fhirUser: req.smart.fhirUser } : {}), showBanner: req.smart.needPatientBanner !== false }));
    } catch (e) {
      next(e);
    }
  });

  app.get('/api/context', requireSmart(), (req, res) => {
    const s = req.smart!;
    res.json({ patient: s.patient ?? null, encounter: s.encounter ?? null, fhirUser: s.fhirUser ?? null, scope: s.scope, serverUrl: s.serverUrl, expiresAt: s.expiresAt ?? null });
  });

  app.get('/api/patient', requireSmart(), async (req, res, next) => {
    const s = req.smart!;
    if (!s.patient) return void res.status(404).json({ error: 'no_patient', message: 'This session has no patient in context' });
    try {
      res.json(await s.fhir.read<Patient>('Patient', s.patient));
    } catch (e) {
      next(e);
    }
  });

  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = isSmartError(err) ? (err.status >= 400 ? err.status : 500) : 500;
    const body = isSmartError(err) ? err.toJSON() : { error: 'internal_error', message: 'Something went wrong' };
    if (!isSmartError(err)) console.error('example: unexpected error', (err as Error)?.name);
    res.status(status).json(body);
  });
  return app;
}
