import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { frameAncestors } from './config.js';

const port = Number(process.env.PORT ?? 3000);
const platform = process.env.NEST_PLATFORM ?? 'express';
if (platform !== 'express' && platform !== 'fastify') throw new Error(`NEST_PLATFORM must be "express" or "fastify" (got "${platform}")`);

const options = { logger: ['error', 'warn'] as ('error' | 'warn')[] };
const app = platform === 'fastify' ? await NestFactory.create(AppModule, new FastifyAdapter(), options) : await NestFactory.create(AppModule, options);
if (platform === 'express') app.getHttpAdapter().getInstance().disable('x-powered-by');
// Who may show these pages in a frame (the EHR embeds the app); never X-Frame-Options: DENY.
const csp = `frame-ancestors ${frameAncestors((k) => process.env[k])}`;
app.use((_req: unknown, res: { setHeader(k: string, v: string): void }, next: () => void) => {
  res.setHeader('content-security-policy', csp);
  next();
});
app.enableShutdownHooks();
await app.listen(port, '127.0.0.1');
console.log(`example-nestjs (${platform}) listening on http://127.0.0.1:${port}`);
