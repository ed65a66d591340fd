import { randomBytes } from 'node:crypto';
import { cookies } from 'next/headers.js';
import { auth0 } from '../../lib/auth0.js';
import { SCOPE } from '../../../shape.mjs';

// Creates a nextjs-auth0 session the way its callback does (the session store writes the cookie).
export const dynamic = 'force-dynamic';
export async function GET() {
  const now = Math.floor(Date.now() / 1000);
  const jar = await cookies();
  await auth0().sessionStore.set(jar, jar, {
    user: { sub: 'bench-practitioner', fhirUser: 'Practitioner/bench-practitioner' },
    tokenSet: { accessToken: randomBytes(600).toString('base64url'), refreshToken: randomBytes(32).toString('base64url'), expiresAt: now + 3600, scope: SCOPE },
    patient: 'bench-patient',
    internal: { sid: randomBytes(16).toString('hex'), createdAt: now },
  }, true);
  return Response.json({ ok: true });
}
