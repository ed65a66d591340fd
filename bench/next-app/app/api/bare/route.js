import { BARE_CONTEXT } from '../../../../shape.mjs';

// The baseline: the same route without a session library.
export const dynamic = 'force-dynamic';
export function GET() {
  return Response.json(BARE_CONTEXT);
}
