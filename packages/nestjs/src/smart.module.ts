import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { createSmart, type SessionStore, type Smart } from '@smart-launch/core';
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
  configure(consumer: MiddlewareConsumer): void {
    // Every path: the SMART routes are not Nest routes, and every route may need the session.
    consumer.apply(SmartMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
