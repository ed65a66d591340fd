import type { ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { Smart } from '@smart-launch/core';
import { SMART } from './smart.constants.js';
import { appendCookies, pathname, requestUrl, send, toWebRequest, type RawRequest } from './http.js';

/**
 * Applied to every route by SmartModule. Serves the launch, callback and logout routes through
 * core `handle()`, and puts every other request's session (core `session()`) on `req.smart`.
 * Works on raw Node req/res, so the same code runs under Express and Fastify (middie).
 */
@Injectable()
export class SmartMiddleware implements NestMiddleware<RawRequest, ServerResponse> {
  constructor(@Inject(SMART) private readonly smart: Smart) {}

  use(req: RawRequest, res: ServerResponse, next: (error?: unknown) => void): void {
    const path = pathname(req);
    const { launch, callback, logout } = this.smart.routes;
    if (path === launch || path === callback || path === logout) {
      this.smart.handle(toWebRequest(req)).then((web) => (web ? send(res, web) : next())).catch(next);
      return;
    }
    this.smart
      .session({ cookie: req.headers.cookie, url: requestUrl(req) }, { setCookie: (values) => appendCookies(res, values) })
      .then((result) => {
        req.smart = result.context;
        if (result.error) req.smartError = result.error;
        appendCookies(res, result.setCookie);
        next();
      }, next);
  }
}
