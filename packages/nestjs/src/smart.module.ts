import { Inject, Module, Optional, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createSmart, type SessionStore, type Smart } from '@smart-launch/core';
import { nodeMiddleware } from '@smart-launch/core/adapter';
import { SMART, SMART_SESSION_STORE } from './smart.constants.js';
import { SmartGuard } from './smart.guard.js';
import { SmartMiddleware } from './smart.middleware.js';
import { ConfigurableModuleClass, SMART_MODULE_OPTIONS } from './smart.module-definition.js';
import type { SmartModuleOptions } from './smart-module-options.interface.js';

/**
 * `SmartModule.forRoot(config)` / `.forRootAsync({ imports, inject, useFactory })`: mounts the
 * launch, callback and logout routes and loads the SMART session of every request. Global by
 * default (`isGlobal: false` to scope it).
 */
@Module({
  providers: [
    {
      provide: SMART_SESSION_STORE,
      useFactory: (options: SmartModuleOptions): SessionStore | null => options.session?.store ?? null,
      inject: [SMART_MODULE_OPTIONS],
    },
    {
      provide: SMART,
      // createSmart validates the config (ConfigError names the wrong key); ready() imports keys.
      useFactory: async (options: SmartModuleOptions, store: SessionStore | null): Promise<Smart> => {
        const smart = createSmart(store ? { ...options, session: { ...options.session, store } } : options);
        await smart.ready();
        return smart;
      },
      inject: [SMART_MODULE_OPTIONS, SMART_SESSION_STORE],
    },
    SmartGuard,
  ],
  exports: [SMART, SMART_SESSION_STORE, SmartGuard],
})
export class SmartModule extends ConfigurableModuleClass implements NestModule {
  constructor(
    @Inject(SMART) private readonly smart: Smart,
    @Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost,
  ) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    // Every path: the SMART routes are not Nest routes, and every route may need the session.
    // Registered on the platform itself (Express: app.use(); Fastify: middie's use()) during
    // this configure() call, so ahead of every module's middleware and every route. Nest's
    // middleware module would wrap it on every request (path match, bookkeeping, an exception
    // zone) for nothing: this middleware never throws, it hands errors to next(). (A Fastify
    // onRequest hook would skip middie too, but Nest registers middie before any module is
    // built, so the app's own middleware would run before it and miss req.smart.)
    const adapter = this.adapterHost?.httpAdapter;
    const type = adapter?.getType();
    if (adapter && (type === 'express' || type === 'fastify')) {
      adapter.use(nodeMiddleware(this.smart));
      return;
    }
    // Any other platform: through Nest's middleware module.
    consumer.apply(SmartMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
