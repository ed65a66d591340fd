/** Simulated failures for negative tests (see README "Simulated failures"). */
export type SimulatedFailureKind =
  | 'access_denied'
  | 'invalid_scope'
  | 'token_500'
  | 'token_slow'
  | 'refresh_invalid_grant';

export interface SimulatedFailure {
  kind: SimulatedFailureKind;
  /** Only requests of this client fail; default: any client. */
  clientId?: string;
  /** How many requests fail; default 1; `Infinity` allowed. */
  times?: number;
  /** token_slow only; default 5000. */
  delayMs?: number;
}

const KINDS: ReadonlySet<string> = new Set<SimulatedFailureKind>([
  'access_denied',
  'invalid_scope',
  'token_500',
  'token_slow',
  'refresh_invalid_grant',
]);

interface Armed extends SimulatedFailure {
  remaining: number;
}

export class FailureInjector {
  #armed: Armed[] = [];

  arm(failure: SimulatedFailure): void {
    if (!failure || !KINDS.has(failure.kind)) {
      throw new TypeError(`unknown simulated failure kind: ${String(failure?.kind)}`);
    }
    // JSON can't carry Infinity; accept null / "Infinity" from the HTTP control endpoint.
    const times = failure.times === undefined ? 1 : Number(failure.times ?? Infinity);
    if (!(times > 0)) throw new TypeError('times must be a positive number or Infinity');
    this.#armed.push({ ...failure, remaining: times });
  }

  clear(): void {
    this.#armed = [];
  }

  /** Consumes one use of the first failure of one of `kinds` that applies to this client. */
  take(kinds: SimulatedFailureKind[], clientId: string | undefined): Armed | undefined {
    const found = this.#armed.find(
      (f) => kinds.includes(f.kind) && (f.clientId === undefined || f.clientId === clientId),
    );
    if (!found) return undefined;
    found.remaining -= 1;
    if (found.remaining <= 0) this.#armed = this.#armed.filter((f) => f !== found);
    return found;
  }
}
