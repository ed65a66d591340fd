// Child process: two NestJS apps on one platform (argv[2]: express | fastify), same controller
// GET /api/context: `bare` without smart-launch, `smart` with SmartModule and a global SmartGuard
// (APP_GUARD), the handler taking the context with @Smart(). Plain JavaScript: the decorators are
// applied by hand, as TypeScript would emit them.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, RequestMethod, createParamDecorator } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Smart, SmartGuard, SmartModule } from '@smart-launch/nestjs';
import { bareContext, SECRET, contextJson, listen, serve } from './ipc.mjs';

const BARE_CONTEXT = bareContext(process.env.BENCH_ISS);

const platform = process.argv[2] ?? 'express';
const iss = process.env.BENCH_ISS;
if (!iss) throw new Error('BENCH_ISS is required');

const method = (cls, name) => Object.getOwnPropertyDescriptor(cls.prototype, name);

class BareController {
  context() {
    return BARE_CONTEXT;
  }
}
Get('api/context')(BareController.prototype, 'context', method(BareController, 'context'));
Controller()(BareController);

class SmartController {
  context(smart) {
    return contextJson(smart);
  }
}
Smart()(SmartController.prototype, 'context', 0);
Get('api/context')(SmartController.prototype, 'context', method(SmartController, 'context'));
Controller()(SmartController);

class BareModule {}
Module({ controllers: [BareController] })(BareModule);

// A control: the bare controller's answer behind what any guard library adds to a Nest app (a
// middleware on every path, a global guard, a custom parameter decorator), each doing nothing:
// what Nest itself charges for the shape of row 6, without smart-launch.
const Noop = createParamDecorator((_data, ctx) => ctx.switchToHttp().getRequest());
class ControlController {
  context(_req) {
    return BARE_CONTEXT;
  }
}
Noop()(ControlController.prototype, 'context', 0);
Get('api/context')(ControlController.prototype, 'context', method(ControlController, 'context'));
Controller()(ControlController);
class NoopGuard {
  canActivate() {
    return true;
  }
}
Injectable()(NoopGuard);
class NoopMiddleware {
  use(_req, _res, next) {
    next();
  }
}
Injectable()(NoopMiddleware);
class ControlModule {
  configure(consumer) {
    consumer.apply(NoopMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
Module({ controllers: [ControlController], providers: [{ provide: APP_GUARD, useClass: NoopGuard }] })(ControlModule);

class SmartAppModule {}
Module({
  imports: [SmartModule.forRoot({ issuers: [{ iss, clientId: 'bench' }], session: { secret: SECRET }, logger: { warn: () => {}, error: (m) => console.error(m) } })],
  controllers: [SmartController],
  providers: [{ provide: APP_GUARD, useClass: SmartGuard }],
})(SmartAppModule);

async function start(mod) {
  const app = await NestFactory.create(mod, platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  return { app, url: await listen(app.getHttpServer()) };
}

const apps = [await start(BareModule), await start(SmartAppModule), await start(ControlModule)];
serve({ urls: { bare: apps[0].url, smart: apps[1].url, control: apps[2].url } }, {}, async () => {
  for (const { app } of apps) await app.close();
});
