import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { PlatformConfig } from '../config/platform-config.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** pino JSON logs with a request id per request (taken from X-Request-Id when sane) and no secrets. */
@Module({})
export class PlatformLoggingModule {
  static forRoot(config: PlatformConfig, app: string): DynamicModule {
    return {
      module: PlatformLoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.log.level,
            name: `fdt-${app}`,
            genReqId: (req: IncomingMessage, res) => {
              const given = req.headers['x-request-id'];
              const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
              res.setHeader('X-Request-Id', id);
              return id;
            },
            redact: {
              paths: [
                'req.headers.authorization',
                'req.headers.cookie',
                'req.headers["x-api-key"]',
                'res.headers["set-cookie"]',
                '*.password',
                '*.token',
                '*.refreshToken',
                '*.accessToken',
              ],
              censor: '[redacted]',
            },
            autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
