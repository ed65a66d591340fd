import { createProxy } from './lib/smart.js';

// Only /p/*: the suite compares /p/smart with /api/smart to price the proxy.
export const proxy = createProxy();
export const config = { matcher: ['/p/:path*'] };
