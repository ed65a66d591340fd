import { ConfigurableModuleBuilder, createParamDecorator, HttpException, Inject, Injectable, Module, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { bearerErrorParts, type ResourceServer, type ResourceServerOptions, type TokenContext } from '@smart-launch/core/resource-server';
import { ConfigError } from '@smart-launch/core';
import { nodeBearerInput, nodeRequest, nodeResponse, notAuthenticated, toResourceServer } from '@smart-launch/core/adapter';

declare module 'node:http' {
  interface IncomingMessage {
    /** The verified SMART access token of an API request. Set by SmartTokenGuard. */
    smartToken?: TokenContext;
  }
}

export const REQUIRED_TOKEN_SCOPES_KEY = 'smart-launch:token-scopes';
/** Injection token of the resource server SmartTokenGuard verifies tokens with. */
export const SMART_RESOURCE_SERVER = Symbol('SMART_RESOURCE_SERVER');

/** `@RequireTokenScopes('system/Observation.rs')`: SmartTokenGuard answers 403 unless the token covers them. */
export function RequireTokenScopes(...scopes: string[]): ClassDecorator & MethodDecorator {
  if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || s.trim() === '')) throw new ConfigError('@RequireTokenScopes() needs at least one non-empty scope string');
  return SetMetadata(REQUIRED_TOKEN_SCOPES_KEY, scopes);
}

/** `@SmartToken() token: TokenContext`: the token SmartTokenGuard verified. */
export const SmartToken = createParamDecorator((_data: unknown, ctx: ExecutionContext): TokenContext => {
  const token = nodeRequest(ctx.switchToHttp().getRequest()).smartToken;
  if (!token) {
    const answer = notAuthenticated();
    throw new HttpException({ ...answer.body, message: 'No verified access token: use SmartTokenGuard' }, answer.status);
  }
  return token;
});

/** The options of `SmartTokenModule`: resource-server options (`iss`, `introspection` or `jwt`...) or an instance. */
export type SmartTokenModuleOptions = ResourceServerOptions | ResourceServer;

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: SMART_TOKEN_MODULE_OPTIONS } = new ConfigurableModuleBuilder<SmartTokenModuleOptions>({ moduleName: 'SmartToken' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/**
 * `SmartTokenModule.forRoot({ iss, introspection })` / `.forRootAsync({ imports, inject, useFactory })`:
 * the resource server of an API that receives SMART access tokens (not sessions). Global by default.
 */
@Module({
  providers: [{ provide: SMART_RESOURCE_SERVER, useFactory: (options: SmartTokenModuleOptions) => toResourceServer(options), inject: [SMART_TOKEN_MODULE_OPTIONS] }],
  exports: [SMART_RESOURCE_SERVER],
})
export class SmartTokenModule extends ConfigurableModuleClass {}

/**
 * `@UseGuards(SmartTokenGuard)` (with `SmartTokenModule` imported): verifies the Bearer token
 * (introspection or JWT), puts it on `req.smartToken`; 400/401/403 with WWW-Authenticate per
 * RFC 6750 section 3; `@RequireTokenScopes()` on the controller and the route add up.
 */
@Injectable()
export class SmartTokenGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(SMART_RESOURCE_SERVER) private readonly rs: ResourceServer,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Fail closed: only HTTP requests carry a Bearer token.
    if (context.getType() !== 'http') return false;
    const http = context.switchToHttp();
    const req = nodeRequest(http.getRequest());
    const scopes = this.reflector.getAllAndMerge<string[]>(REQUIRED_TOKEN_SCOPES_KEY, [context.getHandler(), context.getClass()]);
    try {
      req.smartToken = await this.rs.authorize(nodeBearerInput(req), scopes.length ? scopes : undefined);
      return true;
    } catch (error) {
      const { status, headers, body } = bearerErrorParts(error);
      const res = nodeResponse(http.getResponse());
      if (!res.headersSent) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      throw new HttpException(body, status);
    }
  }
}
