import type { NextRequest } from 'next/server';
import { createProxy, frameAncestors } from './smart';

// Refreshes tokens before pages render; /api/* answers 401 JSON without a session.
const smartProxy = createProxy({ requireSession: ['/api/'] });

export async function proxy(request: NextRequest): Promise<Response> {
  const response = await smartProxy(request);
  // Who may show these pages in a frame (the EHR embeds the app); never X-Frame-Options: DENY.
  if (!response.headers.has('content-security-policy')) response.headers.set('content-security-policy', `frame-ancestors ${frameAncestors()}`);
  return response;
}

export const config = { matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'] };
