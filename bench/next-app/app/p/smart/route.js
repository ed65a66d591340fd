import { contextJson } from '../../../../shape.mjs';
import { getSmart } from '../../../lib/smart.js';

// The same handler as /api/smart, behind the smart-launch proxy (proxy.js matches /p/*).
export const dynamic = 'force-dynamic';
export async function GET() {
  const smart = await getSmart();
  if (!smart) return Response.json({ error: 'unauthorized' }, { status: 401 });
  return Response.json(contextJson(smart));
}
