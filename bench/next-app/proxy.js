import { proxy as smartProxy } from './lib/smart.js';

// Only /p/*: the suite compares /p/smart with /api/smart to price the proxy.
export const proxy = smartProxy();
export const config = { matcher: ['/p/:path*'] };
