import { bareContext } from '../../../../shape.mjs';

const BARE_CONTEXT = bareContext();

// The baseline: the same route without a session library.
export const dynamic = 'force-dynamic';
export function GET() {
  return Response.json(BARE_CONTEXT);
}
