import { proxy as smartProxy } from './smart';

// Refreshes tokens before pages render; /api/* answers 401 JSON without a session.
export const proxy = smartProxy({ protect: ['/api/'] });

export const config = { matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'] };
