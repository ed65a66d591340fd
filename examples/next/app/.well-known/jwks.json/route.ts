import { handlers } from '../../../smart';

// The app's public keys (for a `jwks_uri` registration) when SMART_PRIVATE_KEY is set; else 404.
export const { GET } = handlers;
