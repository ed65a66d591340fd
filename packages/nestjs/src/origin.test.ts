import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { describe } from 'vitest';
import { listen, PLATFORMS } from './__tests__/platforms.js';
import { SmartModule } from './smart.module.js';
import { startSandbox } from '@smart-launch/sandbox';
import { originPolicySuite } from '../../../test/helpers/origin-policy.js';

// NestJS used to read socket.encrypted only: behind a TLS proxy a same-site POST /logout got 403.
for (const platform of PLATFORMS) {
  describe(platform, () => {
    originPolicySuite(`NestJS (${platform})`, startSandbox, async (config) => {
      const moduleRef = await Test.createTestingModule({ imports: [SmartModule.forRoot(config)] }).compile();
      const { app, baseUrl } = await listen(moduleRef, platform);
      return {
        origin: baseUrl,
        request: (path, init = {}) => fetch(`${baseUrl}${path}`, { ...init, redirect: 'manual' }),
        stop: () => app.close(),
      };
    });
  });
}
