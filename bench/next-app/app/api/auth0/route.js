import { auth0 } from '../../../lib/auth0.js';

export const dynamic = 'force-dynamic';
export async function GET() {
  const session = await auth0().getSession();
  if (!session) return Response.json({ error: 'unauthorized' }, { status: 401 });
  const t = session.tokenSet;
  return Response.json({ patient: session.patient ?? null, encounter: null, fhirUser: session.user.fhirUser ?? null, scope: t.scope, serverUrl: process.env.BENCH_ISS, expiresAt: t.expiresAt ?? null });
}
