import { z } from 'zod';

// The handshake, agent -> relay then relay -> agent, before the connection becomes the mux.
// Version 2: the multiplexed phase is the fdt mux (version 1 was HTTP/2).
export const PROTOCOL_VERSION = 2;
/** Each side waits at most this long for the other's handshake frame. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

export const HandshakeErrorCode = {
  AuthFailed: 'auth_failed',
  NameTaken: 'name_taken',
  PlanLimit: 'plan_limit',
  PolicyDenied: 'policy_denied',
  VersionUnsupported: 'version_unsupported',
  BadRequest: 'bad_request',
  FrameTooLarge: 'frame_too_large',
  MalformedFrame: 'malformed_frame',
  Timeout: 'handshake_timeout',
  Internal: 'internal_error',
  /** the relay holds FDT_RELAY_CAPACITY agents; another attempt is assigned another relay */
  RelayFull: 'relay_full',
} as const;
export type HandshakeErrorCode = (typeof HandshakeErrorCode)[keyof typeof HandshakeErrorCode];

const label = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a DNS label: a-z, 0-9, inner hyphens');
const cidr = z.string().min(3).max(64);

export const tunnelRequestSchema = z
  .object({
    /** the agent's key for this tunnel; streams name it in `fdt-tunnel` */
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    proto: z.enum(['http', 'tcp', 'tls']),
    /** wanted name (http/tls): `<name>.<base domain>`; a random one when omitted */
    name: label.optional(),
    /** wanted full host (custom domain, or tls passthrough host) */
    domain: z.string().min(1).max(253).optional(),
    /** wanted public TCP port (tcp), from the org's reserved addresses */
    port: z.number().int().min(1).max(65535).optional(),
    basicAuth: z
      .array(z.object({ user: z.string().min(1).max(128), password: z.string().min(1).max(256) }).strict())
      .max(16)
      .optional(),
    allowCidrs: z.array(cidr).max(256).optional(),
    denyCidrs: z.array(cidr).max(256).optional(),
    maxConns: z.number().int().positive().max(1_000_000).optional(),
    /** record HTTP exchanges for inspection (default true) */
    inspect: z.boolean().optional(),
  })
  .strict();
export type TunnelRequest = z.infer<typeof tunnelRequestSchema>;

export const helloSchema = z
  .object({
    type: z.literal('hello'),
    version: z.number().int().positive(),
    /** the agent session JWT from POST /api/v1/agent/sessions */
    token: z
      .string()
      .min(1)
      .max(16 * 1024),
    client: z
      .object({ name: z.string().max(64), version: z.string().max(64) })
      .strict()
      .optional(),
    tunnels: z.array(tunnelRequestSchema).min(1).max(100),
  })
  .strict();
export type Hello = z.infer<typeof helloSchema>;

export interface TunnelGrant {
  id: string;
  proto: 'http' | 'tcp' | 'tls';
  name: string;
  /** `http://<name>.localhost:8080`, `https://…`, `tcp://host:20001`, `tls://host:8443` */
  url: string;
  /** every public URL of the tunnel (http tunnels answer on HTTP and HTTPS) */
  urls: string[];
  host?: string;
  port?: number;
}

export interface Welcome {
  type: 'welcome';
  version: number;
  sessionId: string;
  region: string;
  tunnels: TunnelGrant[];
  /** the relay pings this often; the agent should consider the link dead after 3 missed */
  heartbeatSeconds: number;
}

export interface HandshakeError {
  type: 'error';
  code: HandshakeErrorCode;
  message: string;
  /** for plan or name errors: which tunnel */
  tunnelId?: string;
}

export type RelayHandshakeReply = Welcome | HandshakeError;

/** Parses an agent's hello; throws a HandshakeProblem with a code the relay sends back. */
export function parseHello(value: unknown): Hello {
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { version?: unknown }).version !== PROTOCOL_VERSION
  ) {
    const v = (value as { version?: unknown }).version;
    if (typeof v === 'number') {
      throw new HandshakeProblem(
        HandshakeErrorCode.VersionUnsupported,
        `protocol version ${v} is not supported; this relay speaks ${PROTOCOL_VERSION}. Upgrade fdt.`,
      );
    }
  }
  const r = helloSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new HandshakeProblem(
      HandshakeErrorCode.BadRequest,
      `invalid hello: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  const ids = new Set<string>();
  for (const t of r.data.tunnels) {
    if (ids.has(t.id))
      throw new HandshakeProblem(HandshakeErrorCode.BadRequest, `invalid hello: duplicate tunnel id ${t.id}`);
    ids.add(t.id);
  }
  return r.data;
}

export function parseReply(value: unknown): RelayHandshakeReply {
  const v = value as Partial<RelayHandshakeReply> | null;
  if (v && v.type === 'welcome' && Array.isArray((v as Welcome).tunnels)) return v as Welcome;
  if (v && v.type === 'error' && typeof (v as HandshakeError).code === 'string') return v as HandshakeError;
  throw new HandshakeProblem(HandshakeErrorCode.MalformedFrame, 'relay sent an unexpected handshake reply');
}

export class HandshakeProblem extends Error {
  constructor(
    readonly code: HandshakeErrorCode,
    message: string,
    readonly tunnelId?: string,
  ) {
    super(message);
  }

  toReply(): HandshakeError {
    return {
      type: 'error',
      code: this.code,
      message: this.message,
      ...(this.tunnelId ? { tunnelId: this.tunnelId } : {}),
    };
  }
}
