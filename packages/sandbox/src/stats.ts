/** Counts token endpoint requests per grant_type, so tests can assert e.g. "exactly one refresh". */
export class TokenStats {
  #token: Record<string, number> = {};
  #epicClientIds = new Set<string>();

  countToken(grantType: string | undefined): void {
    const key = grantType || 'unknown';
    this.#token[key] = (this.#token[key] ?? 0) + 1;
  }

  /** epic profile: `Epic-Client-ID` header values seen (client ids are public identifiers). */
  recordEpicClientId(value: string): void {
    if (this.#epicClientIds.size < 100) this.#epicClientIds.add(value.slice(0, 200));
  }

  snapshot(): { token: Record<string, number>; epicClientIds: string[] } {
    return { token: { ...this.#token }, epicClientIds: [...this.#epicClientIds] };
  }

  reset(): void {
    this.#token = {};
    this.#epicClientIds.clear();
  }
}
