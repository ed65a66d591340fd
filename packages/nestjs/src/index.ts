export { SmartModule } from './smart.module.js';
export { SMART_MODULE_OPTIONS } from './smart.module-definition.js';
export type { SmartModuleOptions, SmartModuleAsyncOptions } from './smart-module-options.interface.js';
export { SMART, SMART_SESSION_STORE } from './smart.constants.js';
export { SmartGuard } from './smart.guard.js';
export { Smart, type SmartParamOptions } from './decorators/smart.decorator.js';
export { Public, IS_PUBLIC_KEY } from './decorators/public.decorator.js';
export { RequireScopes, REQUIRED_SCOPES_KEY } from './decorators/require-scopes.decorator.js';
export { SmartHttpException } from './smart.exceptions.js';
export type { SmartConfig, SmartContext } from '@smart-launch/core';
export {
  SmartTokenModule,
  SmartTokenGuard,
  SmartToken,
  RequireTokenScopes,
  REQUIRED_TOKEN_SCOPES_KEY,
  SMART_RESOURCE_SERVER,
  type SmartTokenModuleOptions,
} from './token.guard.js';
