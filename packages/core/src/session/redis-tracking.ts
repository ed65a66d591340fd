/**
 * What a tracking connection needs from an ioredis client: a second connection of the same
 * settings (`duplicate()`), raw commands, pub/sub and the connection events.
 */
export interface TrackingRedis {
  duplicate(override?: Record<string, unknown>): TrackingConnection;
  on?(event: 'end' | 'close', listener: () => void): unknown;
  off?(event: 'end' | 'close', listener: () => void): unknown;
  isCluster?: boolean;
  /** 'end' once the app closed it (quit/disconnect). */
  status?: string;
  /** ioredis applies `keyPrefix` to every key it sends: the keys Redis reports carry it. */
  options?: { keyPrefix?: string };
}

export interface TrackingConnection {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  ping(): Promise<unknown>;
  connect(): Promise<unknown>;
  disconnect(reconnect?: boolean): void;
  on(event: 'ready' | 'close' | 'end' | 'error', listener: (...args: unknown[]) => void): unknown;
  on(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer | Buffer[] | null) => void): unknown;
}

const CHANNEL = '__redis__:invalidate';
/** Replies that mean "not now" rather than "never": tried again later, with a growing delay. */
const TRANSIENT = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN)\b/;

export interface InvalidationCacheOptions {
  /** Entries kept, oldest dropped first. Default 10,000. */
  max?: number;
  /**
   * The connection is pinged this often; a ping still unanswered at the next one means it is
   * dead without having closed (a silent network failure): everything is dropped and it
   * reconnects. Default 2000 ms.
   */
  heartbeatMs?: number;
}

/**
 * A process-local copy of values read from Redis, each dropped the moment Redis says its key
 * changed: Redis client-side caching in broadcasting mode
 * (https://redis.io/docs/latest/develop/reference/client-side-caching/, `CLIENT TRACKING ON
 * REDIRECT <id> BCAST PREFIX <prefix>`, Redis >= 6). One extra connection receives the
 * invalidation messages for every key under the prefix, whoever changed it.
 *
 * Entries are served only while that connection is subscribed and answers pings: when it closes
 * or stops answering, everything is dropped and nothing is served until it is subscribed again
 * (messages may have been missed).
 * A read that an invalidation overtakes is not kept (the reply and the message travel on two
 * connections, so the message can arrive first): every read takes a ticket, an invalidation of
 * its key or any reset voids the ticket, and only a read whose ticket is still valid is kept.
 */
export class InvalidationCache<T> {
  readonly #entries = new Map<string, T>();
  readonly #tickets = new Map<string, number>();
  readonly #max: number;
  readonly #heartbeatMs: number;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #awaitingPong = false;
  #seq = 0;
  #live = false;
  #stopped = false;
  /** Bumped each time the connection closes: a setup begun before that is abandoned. */
  #generation = 0;
  #retryMs = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #connection: TrackingConnection | undefined;
  /** The prefix as Redis sees the keys: the client's own `keyPrefix`, then the store's. */
  readonly #prefix: string;

  constructor(
    private readonly client: TrackingRedis,
    prefix: string,
    private readonly warn: (message: string) => void,
    options: InvalidationCacheOptions = {},
  ) {
    this.#max = options.max ?? 10_000;
    this.#heartbeatMs = options.heartbeatMs ?? 2000;
    this.#prefix = (client.options?.keyPrefix ?? '') + prefix;
    // The app closed its client (quit): ours closes with it, so the process can exit. Listened
    // for from the start, so a client closed before the first read never opens ours.
    client.on?.('end', this.#onClientEnd);
    // The app's client lost its connection: it may come back on another server (a failover), and
    // reads and invalidations must come from the same one. Ours starts again too.
    client.on?.('close', this.#onClientClose);
  }

  readonly #onClientEnd = (): void => this.stop();
  readonly #onClientClose = (): void => {
    if (this.#stopped || !this.#connection) return;
    this.#reset();
    this.#connection.disconnect(true);
  };

  /** Whether cached values are being served (the invalidation connection is subscribed). */
  get live(): boolean {
    return this.#live;
  }

  /** Reads in flight that may still be kept (diagnostics; bounded by the reads in flight). */
  get pendingReads(): number {
    return this.#tickets.size;
  }

  /** The cached value of `key`, only while invalidations are being received. */
  get(key: string): T | undefined {
    return this.#live ? this.#entries.get(key) : undefined;
  }

  /** Before a read of `key`: its ticket, or 0 when the result must not be kept. */
  ticket(key: string): number {
    this.#start();
    if (!this.#live) return 0;
    const t = ++this.#seq;
    this.#tickets.set(key, t);
    return t;
  }

  /** After the read: keeps `value` if nothing changed `key` (or reset the cache) since `ticket`. */
  settle(key: string, ticket: number, value: T | undefined): void {
    if (!ticket || this.#tickets.get(key) !== ticket) return;
    this.#tickets.delete(key);
    if (!this.#live || value === undefined) return;
    if (this.#entries.size >= this.#max && !this.#entries.has(key)) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, value);
  }

  /** This process changes `key` (write, delete): the cached value and any read in flight go. */
  drop(key: string): void {
    this.#entries.delete(key);
    this.#tickets.delete(key);
  }

  /** Stops listening and closes the extra connection. */
  stop(): void {
    this.#stopped = true;
    this.#reset();
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retry);
    this.client.off?.('end', this.#onClientEnd);
    this.client.off?.('close', this.#onClientClose);
    this.#connection?.disconnect(false);
  }

  #reset(): void {
    this.#live = false;
    this.#entries.clear();
    this.#tickets.clear();
  }

  #start(): void {
    if (this.#connection || this.#stopped) return;
    if (this.client.status === 'end') return this.stop();
    let conn: TrackingConnection;
    try {
      // Our own connection: no offline queue (a command sent while it reconnects would run before
      // tracking is on again), nothing resent after a reconnect, no automatic re-subscribe
      // (tracking must come first) and no key prefix of its own (the keys it hears are full names).
      conn = this.client.duplicate({
        lazyConnect: true,
        autoResubscribe: false,
        autoResendUnfulfilledCommands: false,
        enableOfflineQueue: false,
        keyPrefix: '',
        connectionName: `smart-launch:invalidations:${this.#prefix.replace(/[^\w:.-]/g, '_')}`,
      });
    } catch {
      this.#stopped = true;
      return;
    }
    this.#connection = conn;
    // Errors of this connection are the main client's errors too; it reports them.
    conn.on('error', () => {});
    conn.on('close', () => {
      this.#generation++;
      clearTimeout(this.#retry);
      this.#reset();
    });
    conn.on('ready', () => void this.#subscribe(conn));
    // It gave up reconnecting (the client's retryStrategy): the next read opens a new one.
    conn.on('end', () => {
      if (this.#connection !== conn) return;
      this.#connection = undefined;
      clearInterval(this.#heartbeat);
    });
    conn.on('messageBuffer', (channel, message) => {
      if (channel.toString() !== CHANNEL) return;
      // null: the whole database was flushed.
      if (message === null) return this.#entries.clear(), this.#tickets.clear();
      for (const k of Array.isArray(message) ? message : [message]) {
        const key = k.toString();
        if (key.startsWith(this.#prefix)) this.drop(key.slice(this.#prefix.length));
      }
    });
    this.#heartbeat = setInterval(() => {
      if (!this.#live) return;
      if (this.#awaitingPong) {
        // Timers run before sockets are read: after an event-loop stall the answer may be waiting
        // unread. Look again once pending input has been handled.
        setImmediate(() => {
          if (!this.#awaitingPong || !this.#live) return;
          this.#reset();
          conn.disconnect(true);
        });
        return;
      }
      this.#awaitingPong = true;
      conn.ping().then(() => (this.#awaitingPong = false), () => {});
    }, this.#heartbeatMs);
    this.#heartbeat.unref?.();
    conn.connect().catch(() => {});
  }

  async #subscribe(conn: TrackingConnection): Promise<void> {
    const generation = this.#generation;
    const current = () => generation === this.#generation && !this.#stopped;
    try {
      const id = await conn.call('CLIENT', 'ID');
      if (!current()) return;
      await conn.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', 'PREFIX', this.#prefix);
      if (!current()) return;
      await conn.subscribe(CHANNEL);
      if (!current()) return;
      this.#awaitingPong = false;
      this.#retryMs = 0;
      this.#live = true;
    } catch (e) {
      // The connection dropped during the set-up: 'ready' comes again with the next connection.
      if (!current()) return;
      const message = String((e as Error)?.message ?? '');
      if ((e as Error)?.name !== 'ReplyError' || TRANSIENT.test(message)) {
        // A timeout, or a server loading its dataset or busy with a script: start again on a new
        // connection after a growing delay (tracking may be half set up on this one).
        this.#retryMs = Math.min(Math.max(this.#retryMs * 2, 500), 30_000);
        this.#retry = setTimeout(() => current() && conn.disconnect(true), this.#retryMs);
        this.#retry.unref?.();
        return;
      }
      // The server refuses (Redis < 6, an ACL, a proxy): every request reads Redis, as without it.
      try {
        this.warn(`smart-launch: RedisStore could not enable Redis client-side caching (CLIENT TRACKING refused); every request reads the session from Redis. Set tracking: false to silence this.`);
      } catch {
        // A logger that throws must not turn this into an unhandled rejection.
      }
      this.stop();
    }
  }
}
