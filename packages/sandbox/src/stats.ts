/** Counts token endpoint requests per grant_type, so tests can assert e.g. "exactly one refresh". */
export class TokenStats {
  #token: Record<string, number> = {};

  countToken(grantType: string | undefined): void {
    const key = grantType || 'unknown';
    this.#token[key] = (this.#token[key] ?? 0) + 1;
  }

  snapshot(): { token: Record<string, number> } {
    return { token: { ...this.#token } };
  }

  reset(): void {
    this.#token = {};
  }
}
