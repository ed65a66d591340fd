import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

/**
 * In-memory oidc-provider storage, one per sandbox (the built-in one is process-wide and evicts at
 * 1000 entries). It can also list entries, which `revokeRefreshTokens()` needs.
 */
export class SandboxStore {
  readonly #models = new Map<string, Map<string, Entry>>();

  model(name: string): Map<string, Entry> {
    let map = this.#models.get(name);
    if (!map) this.#models.set(name, (map = new Map()));
    return map;
  }

  live(name: string): [string, AdapterPayload][] {
    const now = Date.now();
    return [...this.model(name)].filter(([, e]) => !e.expiresAt || e.expiresAt > now).map(([id, e]) => [id, e.payload]);
  }

  adapterClass(): new (name: string) => Adapter {
    const store = this;
    return class implements Adapter {
      readonly #name: string;
      constructor(name: string) {
        this.#name = name;
      }
      #map() {
        return store.model(this.#name);
      }
      async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
        this.#map().set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      }
      async find(id: string): Promise<AdapterPayload | undefined> {
        const entry = this.#map().get(id);
        if (!entry) return undefined;
        if (entry.expiresAt && entry.expiresAt <= Date.now()) {
          this.#map().delete(id);
          return undefined;
        }
        return entry.payload;
      }
      async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
        return store.live(this.#name).find(([, p]) => p.userCode === userCode)?.[1];
      }
      async findByUid(uid: string): Promise<AdapterPayload | undefined> {
        return store.live(this.#name).find(([, p]) => p.uid === uid)?.[1];
      }
      async consume(id: string): Promise<void> {
        const entry = this.#map().get(id);
        if (entry) entry.payload = { ...entry.payload, consumed: Math.floor(Date.now() / 1000) };
      }
      async destroy(id: string): Promise<void> {
        this.#map().delete(id);
      }
      async revokeByGrantId(grantId: string): Promise<void> {
        for (const map of [store.model('AccessToken'), store.model('AuthorizationCode'), store.model('RefreshToken'),
          store.model('DeviceCode'), store.model('BackchannelAuthenticationRequest')]) {
          for (const [id, entry] of map) if (entry.payload.grantId === grantId) map.delete(id);
        }
      }
    };
  }

  /** Destroys stored refresh tokens (all, or one client's); returns how many. */
  revokeRefreshTokens(clientId?: string): number {
    const map = this.model('RefreshToken');
    let count = 0;
    for (const [id, entry] of map) {
      if (clientId === undefined || entry.payload.clientId === clientId) {
        map.delete(id);
        count += 1;
      }
    }
    return count;
  }
}
