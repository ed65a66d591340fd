import type { Provider } from 'oidc-provider';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import { parseResourceScope, parseScopeString } from '../scopes.js';

/**
 * oidc-provider only keeps scopes listed in its static `scopes` configuration and silently drops the
 * rest. SMART resource scopes are a grammar (SMART 2.2 scopes §Syntax, including `?param=value`
 * constraints), not a list, so each syntactically valid one is added to that set the first time a
 * request carries it; everything else (unknown scopes) keeps being dropped. With `onlyVersion`, scopes
 * of the other SMART version are dropped too.
 */
export class DynamicScopes {
  readonly #known: Set<string>;
  readonly #onlyVersion: 1 | 2 | undefined;

  constructor(provider: Provider, onlyVersion?: 1 | 2) {
    this.#known = instance(provider).configuration.scopes;
    this.#onlyVersion = onlyVersion;
  }

  register(scope: string | undefined): void {
    for (const s of parseScopeString(scope)) {
      if (this.#known.has(s)) continue;
      const parsed = parseResourceScope(s);
      if (parsed && (!this.#onlyVersion || parsed.version === this.#onlyVersion)) this.#known.add(s);
    }
  }
}
