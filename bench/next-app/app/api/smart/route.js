import { contextJson } from '../../../../shape.mjs';
import { getSmart } from '../../../lib/smart.js';

export const dynamic = 'force-dynamic';
export async function GET() {
  const smart = await getSmart();
  if (!smart) return Response.json({ error: 'unauthorized' }, { status: 401 });
  return Response.json(contextJson(smart));
}
