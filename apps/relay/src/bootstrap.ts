import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createHttpApp, listen, type PlatformConfig } from '@fdt/server-core/edge';
import { EdgeModule, TLS_MATERIAL } from './edge.module.js';
import { EdgeIngress } from './ingress/edge-ingress.service.js';
import { CertificateStore } from './ingress/tls/certificate-store.js';
import type { TlsMaterial } from './ingress/tls/dev-ca.js';
import { type BoundPorts, RelayEndpoints } from './registration/relay-endpoints.js';
import { RelayModule } from './relay.module.js';
import { AgentTransport } from './transport/agent-transport.strategy.js';

export interface RunningRelay {
  app: INestApplication;
  /** The admin endpoint: /healthz, /readyz, /metrics. */
  url: string;
  /** Every port bound (configure 0 to let the system pick): admin, agent, http, https. */
  ports: BoundPorts;
  /** PEM of the dev CA when the relay made its own certificates (trust it to verify them). */
  caPem?: string;
  /** Per-host certificates at runtime (custom domains). */
  certificates: CertificateStore;
  close(): Promise<void>;
}

export async function startRelay(config: PlatformConfig): Promise<RunningRelay> {
  const app = await createHttpApp(RelayModule.forRoot(config), config, {
    title: 'fdt relay',
    port: config.relay.adminPort,
    // The admin port takes no input (health, metrics): no class-validator in the relay.
    validation: false,
  });
  try {
    const transport = app.select(EdgeModule).get(AgentTransport);
    app.connectMicroservice({ strategy: transport }, { inheritAppConfig: false });
    await app.init();
    // Visitor listeners first: the welcome's URLs carry their ports.
    const edge = await app.select(EdgeModule).get(EdgeIngress).listen();
    await app.startAllMicroservices();
    const admin = await listen(app, config, config.relay.adminPort);
    const ports: BoundPorts = { admin, agent: transport.port, http: edge.http, https: edge.https };
    app.get(RelayEndpoints).set(ports);
    const material = app.select(EdgeModule).get<typeof TLS_MATERIAL, TlsMaterial>(TLS_MATERIAL);
    return {
      app,
      url: `http://localhost:${admin}`,
      ports,
      caPem: material.caPem,
      certificates: app.select(EdgeModule).get(CertificateStore),
      close: () => app.close(),
    };
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
}
