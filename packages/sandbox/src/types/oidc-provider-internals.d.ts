// oidc-provider keeps its resolved configuration in a private per-provider store; this is the
// documented-by-source accessor its own modules use (lib/helpers/weak_cache.js).
declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  export default function instance(provider: object): { configuration: { scopes: Set<string> } };
}
