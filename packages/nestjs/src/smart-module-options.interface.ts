import type { SmartConfig } from '@smart-launch/core';
import type { ASYNC_OPTIONS_TYPE } from './smart.module-definition.js';

/** `SmartModule.forRoot(options)`: the core config, unchanged (ADR 0001: one config type, in core). */
export type SmartModuleOptions = SmartConfig;

/** `SmartModule.forRootAsync(options)`: `{ imports, inject, useFactory | useClass | useExisting, isGlobal }`. */
export type SmartModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
