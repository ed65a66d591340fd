import { createSmart, type Smart } from '../app/smart.js';
import type { SmartConfig } from '../config.js';
import { createResourceServer, type ResourceServer, type ResourceServerOptions } from '../resource-server/resource-server.js';

/** What an adapter factory accepts: a config (validated now) or a core instance. */
export type SmartInput = SmartConfig | Smart;

export function isSmart(x: unknown): x is Smart {
  return typeof (x as Smart)?.handle === 'function' && typeof (x as Smart)?.session === 'function';
}

/** The core instance for `input`: created (and the config validated, ConfigError) when given a config. */
export function toSmart(input: SmartInput): Smart {
  return isSmart(input) ? input : createSmart(input);
}

/** The resource server for bearer-token guards: options (validated now) or an instance. */
export function toResourceServer(input: ResourceServerOptions | ResourceServer): ResourceServer {
  return typeof (input as ResourceServer)?.verify === 'function' ? (input as ResourceServer) : createResourceServer(input as ResourceServerOptions);
}
