import { type DynamicModule, type INestApplication, type Type, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Logger } from 'nestjs-pino';
import type { PlatformConfig } from '../config/platform-config.js';
import { ProblemFilter, toProblem } from '../errors/problem.filter.js';
import { isScimPath, sendScimError } from '../errors/scim-error.js';

export interface HttpAppOptions {
  title: string;
  /**
   * Where to serve the OpenAPI UI (and `${path}-json`); none when omitted. @nestjs/swagger
   * is loaded only then, so apps without a document (the relay) never pay for it.
   */
  openApiPath?: string;
  port: number;
  /**
   * Validate and transform request bodies and params with class-validator (default true).
   * The relay's admin port takes no input and turns it off: the pipe loads class-validator
   * (~320 modules) as soon as it is constructed.
   */
  validation?: boolean;
}

/**
 * Sends any error as problem+json (under /scim, as a SCIM Error: RFC 7644 clients read only
 * that). Used where Nest's filters do not reach (body parsing, rate limits).
 */
export function sendProblem(err: unknown, req: Request, res: Response): void {
  if (isScimPath(req.originalUrl)) return sendScimError(err, req, res);
  const { problem, headers } = toProblem(err, req.originalUrl.split('?')[0]);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/**
 * Creates one of our HTTP apps the same way every time: our JSON parser with a size limit
 * and problem+json errors (Nest's built-in parser reports malformed JSON as a plain 400),
 * strict validation (unknown fields are errors), the problem filter, pino, OpenAPI when
 * asked for, and graceful shutdown hooks.
 */
export async function createHttpApp(
  module: Type<unknown> | DynamicModule,
  config: PlatformConfig,
  opts: HttpAppOptions,
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  // X-Forwarded-For names the client only when the hop that sent it is one of our proxies:
  // otherwise anyone could pick the address that rate limits, lockouts and audit record.
  app.set('trust proxy', config.trustedProxies.length ? [...config.trustedProxies] : false);
  app.disable('x-powered-by');
  app.use(
    express.json({
      limit: config.api.bodyLimit,
      // application/*+json covers SCIM's application/scim+json (RFC 7644 §3.1), named for clarity.
      type: ['application/json', 'application/scim+json', 'application/*+json'],
      verify: (req, _res, buf) => {
        (req as Request & { rawBody?: Buffer }).rawBody = buf;
      },
    }),
    (err: unknown, req: Request, res: Response, next: NextFunction) =>
      err ? sendProblem(err, req, res) : next(),
  );
  app.use(cookieParser());
  if (opts.validation ?? true) {
    app.useGlobalPipes(
      new ValidationPipe({
        whitelist: true,
        forbidNonWhitelisted: true,
        transform: true,
        forbidUnknownValues: true,
      }),
    );
  }
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();
  if (opts.openApiPath) {
    const { setupOpenApi } = await import('./openapi.js');
    setupOpenApi(app, opts.title, opts.openApiPath);
  }
  return app;
}

export async function listen(app: INestApplication, config: PlatformConfig, port: number): Promise<number> {
  await (config.bindHost ? app.listen(port, config.bindHost) : app.listen(port));
  const address = app.getHttpServer().address();
  return typeof address === 'object' && address ? address.port : port;
}
