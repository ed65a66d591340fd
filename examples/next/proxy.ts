import { createProxy } from './smart';

// Refreshes tokens before pages render; /api/* answers 401 JSON without a session.
export const proxy = createProxy({ requireSession: ['/api/'] });

export const config = { matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'] };
