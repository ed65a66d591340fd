'use server';
import { getSmart } from '../smart';

export interface SessionInfo {
  patient: string | null;
  fhirUser: string | null;
  expiresAt: number | null;
}

/** A Server Action reading the session (and saving a refreshed one: actions may set cookies). */
export async function checkSession(): Promise<SessionInfo | null> {
  const s = await getSmart();
  return s ? { patient: s.patient ?? null, fhirUser: s.fhirUser ?? null, expiresAt: s.expiresAt ?? null } : null;
}
