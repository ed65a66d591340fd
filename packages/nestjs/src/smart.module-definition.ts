import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SmartModuleOptions } from './smart-module-options.interface.js';

/** `forRoot(options)` / `forRootAsync({ imports, inject, useFactory | useClass | useExisting })`. */
export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: SMART_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SmartModuleOptions>({ moduleName: 'Smart' })
  .setClassMethodName('forRoot')
  // Global by default so SmartGuard and @Smart() work in every feature module.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
