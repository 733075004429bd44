import { Module } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { AgentSessionsService } from './agents/agent-sessions.service.js';
import { AgentsController } from './agents/agents.controller.js';
import { RelayApiClient } from './agents/api-client.service.js';
import { HandshakeService } from './agents/handshake.service.js';
import { NameClaims } from './agents/name-claims.service.js';
import { DomainChanges } from './agents/domain-changes.service.js';
import { Revocations } from './agents/revocations.service.js';
import { TokenVerifier } from './agents/token-verifier.service.js';
import { TunnelStatusReporter } from './agents/tunnel-status.reporter.js';
import { LiveLimits } from './billing/live-limits.service.js';
import { UsageMeter } from './billing/usage-meter.js';
import { UsageReporter } from './billing/usage-reporter.service.js';
import { VisitorConnections } from './ingress/connections/visitor-connections.js';
import { EdgeIngress } from './ingress/edge-ingress.service.js';
import { ClientIp } from './ingress/http/client-ip.js';
import { HttpProxy } from './ingress/http/http-proxy.js';
import { UpgradeProxy } from './ingress/http/upgrade-proxy.js';
import { TcpIngress } from './ingress/tcp/tcp-ingress.js';
import { CertificateStore } from './ingress/tls/certificate-store.js';
import { loadTlsMaterial, type TlsMaterial } from './ingress/tls/dev-ca.js';
import { VisitorGate } from './ingress/visitor-gate.js';
import { RelayMetrics } from './metrics/relay-metrics.js';
import { RelayStatusMetrics } from './metrics/relay-status-metrics.js';
import { ForwardedSockets } from './peering/forwarded-sockets.js';
import { PeerDialer } from './peering/peer-dialer.js';
import { PeerForwarder } from './peering/peer-forwarder.js';
import { PeerListener } from './peering/peer-listener.js';
import { PeerTls } from './peering/peer-tls.js';
import { RouteAnnouncer } from './peering/route-announcer.js';
import { RouteLookup } from './peering/route-lookup.js';
import { RelayRegistrationModule } from './registration/relay-registration.module.js';
import { RoutingTable } from './routing/routing-table.js';
import { AgentTransport } from './transport/agent-transport.strategy.js';
import { CertificateSync } from './certificates/certificate-sync.service.js';
import { Http01Responder } from './certificates/http01-responder.js';
import { TlsAlpn01Responder } from './certificates/tls-alpn01-responder.js';

export const TLS_MATERIAL = Symbol('TLS_MATERIAL');

/**
 * The data plane and its control: the agent transport and its handlers, the routing table,
 * the visitor ingress (HTTP, HTTPS/TLS by SNI, TCP ports), relay-to-relay forwarding
 * (peering: route claims in the registry, the peer port), edge policy, inspection, metrics.
 */
@Module({
  imports: [RelayRegistrationModule],
  controllers: [AgentsController],
  providers: [
    RelayMetrics,
    RelayStatusMetrics,
    RoutingTable,
    {
      provide: TLS_MATERIAL,
      inject: [PLATFORM_CONFIG],
      useFactory: (config: PlatformConfig): Promise<TlsMaterial> =>
        loadTlsMaterial({
          dir: config.relay.tls.dir,
          certFile: config.relay.tls.certFile,
          keyFile: config.relay.tls.keyFile,
          baseDomain: config.baseDomain,
          publicHost: config.relay.publicHost,
        }),
    },
    {
      provide: CertificateStore,
      inject: [TLS_MATERIAL, RoutingTable],
      // Certificates are issued on the fly only for hosts with an http tunnel here.
      useFactory: (material: TlsMaterial, routing: RoutingTable) =>
        new CertificateStore(material, (host) => routing.byHost(host)?.proto === 'http'),
    },
    TokenVerifier,
    RelayApiClient,
    TunnelStatusReporter,
    HandshakeService,
    NameClaims,
    Revocations,
    DomainChanges,
    AgentSessionsService,
    LiveLimits,
    UsageMeter,
    UsageReporter,
    VisitorGate,
    VisitorConnections,
    ClientIp,
    HttpProxy,
    UpgradeProxy,
    TcpIngress,
    ForwardedSockets,
    RouteLookup,
    PeerTls,
    PeerDialer,
    PeerForwarder,
    PeerListener,
    RouteAnnouncer,
    Http01Responder,
    TlsAlpn01Responder,
    CertificateSync,
    EdgeIngress,
    AgentTransport,
  ],
  exports: [
    AgentTransport,
    EdgeIngress,
    RoutingTable,
    CertificateStore,
    TLS_MATERIAL,
    PeerListener,
    CertificateSync,
  ],
})
export class EdgeModule {}
