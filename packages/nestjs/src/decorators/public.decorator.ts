import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'smart-launch:public';

/** Opts a controller or route out of SmartGuard (e.g. a landing page under a global guard). */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(IS_PUBLIC_KEY, true);
