import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { SmartGuard, SmartModule } from '@smart-launch/nestjs';
import { ApiController } from './api.controller.js';
import { AppController } from './app.controller.js';
import { smartConfig } from './config.js';
import { ErrorFilter } from './error.filter.js';

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    // SMART routes (/launch, /callback, /logout) come with the module: no controller to write.
    SmartModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => smartConfig((key) => config.get<string>(key)),
    }),
  ],
  controllers: [AppController, ApiController],
  providers: [
    { provide: APP_GUARD, useClass: SmartGuard },
    { provide: APP_FILTER, useClass: ErrorFilter },
  ],
})
export class AppModule {}
