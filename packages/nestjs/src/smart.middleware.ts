import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { Smart, SmartContext, SmartError } from '@smart-launch/core';
import { nodeMiddleware } from '@smart-launch/core/adapter';
import { SMART } from './smart.constants.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** The SMART session of this request, or null when there is none. Set by SmartModule. */
    smart?: SmartContext | null;
    /** Why `smart` is null although a session cookie came (expired, refresh failed...). */
    smartError?: SmartError;
  }
}

/**
 * Applied to every path by SmartModule (internal): the kit's Node middleware serves the SMART
 * routes and puts each request's session on `req.smart`, on Express and on Fastify (middie).
 */
@Injectable()
export class SmartMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  readonly use: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
  constructor(@Inject(SMART) smart: Smart) {
    this.use = nodeMiddleware(smart);
  }
}
