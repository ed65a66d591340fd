import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { isSmartError } from '@smart-launch/core';

/** Errors as JSON, like the Express example's error handler (a SmartError keeps its code and status). */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  catch(err: unknown, args: ArgumentsHost): void {
    const res = args.switchToHttp().getResponse();
    const { httpAdapter } = this.host;
    if (err instanceof HttpException) {
      const body = err.getResponse();
      return void httpAdapter.reply(res, typeof body === 'object' ? body : { statusCode: err.getStatus(), message: body }, err.getStatus());
    }
    const status = isSmartError(err) ? (err.status >= 400 ? err.status : 500) : 500;
    const body = isSmartError(err) ? err.toJSON() : { error: 'internal_error', message: 'Something went wrong' };
    if (!isSmartError(err)) console.error('example: unexpected error', (err as Error)?.name);
    httpAdapter.reply(res, body, status);
  }
}
