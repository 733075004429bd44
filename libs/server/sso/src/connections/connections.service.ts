import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { EntitlementsService } from '@fdt/billing';
import { grantableRoles } from '@fdt/identity';
import { type Actor, open, PLATFORM_CONFIG, type PlatformConfig, type Role, seal } from '@fdt/server-core';
import { type GroupRoleRule, SsoConnection, SsoIdentity, SsoSettings } from '../entities/index.js';
import { OidcRpService } from '../oidc/oidc-rp.service.js';
import { parseIdpMetadata } from '../saml/idp-metadata.js';
import { normalizeCertificate } from '../saml/xml.js';
import { SessionRevoker } from '../sessions/session-revoker.js';
import { allowsInsecureIdp } from '../sp-urls.js';
import { SsoErrorCode, SsoException } from '../sso.errors.js';
import { checkUrl } from '../url-checks.js';
import type {
  CreateConnectionDto,
  OidcSettingsDto,
  SamlSettingsDto,
  UpdateConnectionDto,
} from './connections.dto.js';

type Fields = Partial<SsoConnection>;

/** SSO connections of an org: owners and admins manage them; every change is audited. */
@Injectable()
export class ConnectionsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly oidc: OidcRpService,
    private readonly revoker: SessionRevoker,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly entitlements: EntitlementsService,
  ) {}

  list(orgId: string): Promise<SsoConnection[]> {
    return this.ds.getRepository(SsoConnection).find({ where: { orgId }, order: { createdAt: 'ASC' } });
  }

  async get(orgId: string, id: string): Promise<SsoConnection> {
    const c = await this.ds.getRepository(SsoConnection).findOneBy({ id, orgId });
    if (!c) throw new SsoException(SsoErrorCode.ConnectionNotFound, 'No such SSO connection in this org.');
    return c;
  }

  async create(actor: Actor, dto: CreateConnectionDto): Promise<SsoConnection> {
    // SSO is a plan feature (plan_limit without it). Connections an org already has keep
    // working after a downgrade: cutting its members' sign-in off would lock them out.
    await this.entitlements.assertFeature(actor.orgId, 'sso');
    this.checkRoles(actor, dto.defaultRole, dto.groupRoles);
    let fields: Fields;
    if (dto.protocol === 'saml') {
      if (dto.oidc) this.badSaml('a SAML connection takes `saml` settings, not `oidc`');
      fields = await this.samlFields(dto.saml ?? {});
    } else {
      if (dto.saml) this.badOidc('an OIDC connection takes `oidc` settings, not `saml`');
      fields = await this.oidcFields(dto.oidc ?? {});
    }
    return this.ds.transaction(async (m) => {
      const saved = await m.getRepository(SsoConnection).save({
        ...fields,
        orgId: actor.orgId,
        protocol: dto.protocol,
        name: dto.name,
        enabled: dto.enabled ?? true,
        jitEnabled: dto.jitEnabled ?? true,
        defaultRole: dto.defaultRole ?? 'member',
        groupsAttribute: dto.groupsAttribute ?? 'groups',
        groupRoles: (dto.groupRoles ?? []).map(({ group, role }) => ({ group, role })),
      });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'sso.connection_created',
        target: { type: 'sso_connection', id: saved.id },
        summary: this.describe(saved),
      });
      return saved;
    });
  }

  async update(actor: Actor, id: string, dto: UpdateConnectionDto): Promise<SsoConnection> {
    const current = await this.get(actor.orgId, id);
    if (dto.enabled && !current.enabled) await this.entitlements.assertFeature(actor.orgId, 'sso');
    this.checkRoles(actor, dto.defaultRole, dto.groupRoles);
    let fields: Fields = {};
    if (current.protocol === 'saml') {
      if (dto.oidc) this.badSaml('a SAML connection takes `saml` settings, not `oidc`');
      if (dto.saml) fields = await this.samlFields(dto.saml, current);
    } else {
      if (dto.saml) this.badOidc('an OIDC connection takes `oidc` settings, not `saml`');
      if (dto.oidc) fields = await this.oidcFields(dto.oidc, current);
    }
    const common: Fields = {
      name: dto.name,
      enabled: dto.enabled,
      jitEnabled: dto.jitEnabled,
      defaultRole: dto.defaultRole,
      groupsAttribute: dto.groupsAttribute,
      groupRoles: dto.groupRoles?.map(({ group, role }) => ({ group, role })),
    };
    for (const [k, v] of Object.entries(common))
      if (v !== undefined) (fields as Record<string, unknown>)[k] = v;
    const changed = Object.keys(fields).filter(
      (k) => JSON.stringify(fields[k as keyof Fields]) !== JSON.stringify(current[k as keyof SsoConnection]),
    );
    if (changed.length === 0) return current;
    return this.ds.transaction(async (m) => {
      const disabling = current.enabled && fields.enabled === false;
      if (disabling) await this.assertNotLastUnderEnforcement(m, current, 'disable');
      await m.getRepository(SsoConnection).update({ id }, fields);
      const saved = await m.getRepository(SsoConnection).findOneByOrFail({ id });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'sso.connection_updated',
        target: { type: 'sso_connection', id },
        summary: {
          name: saved.name,
          changed: changed.map((k) => (k === 'oidcClientSecretSealed' ? 'oidcClientSecret' : k)),
        },
      });
      if (disabling) await this.endSessions(m, actor, saved, 'sso_connection_disabled');
      return saved;
    });
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const current = await this.get(actor.orgId, id);
    await this.ds.transaction(async (m) => {
      if (current.enabled) await this.assertNotLastUnderEnforcement(m, current, 'delete');
      await this.endSessions(m, actor, current, 'sso_connection_deleted');
      await m.getRepository(SsoIdentity).delete({ connectionId: id });
      await m.getRepository(SsoConnection).delete({ id });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'sso.connection_deleted',
        target: { type: 'sso_connection', id },
        summary: { name: current.name, protocol: current.protocol },
      });
    });
  }

  private async endSessions(m: EntityManager, actor: Actor, c: SsoConnection, reason: string): Promise<void> {
    const count = await this.revoker.forConnection(m, c.id, reason);
    if (count === 0) return;
    await this.audit.record(m, {
      orgId: actor.orgId,
      actor,
      action: 'sso.sessions_revoked',
      target: { type: 'sso_connection', id: c.id },
      summary: { reason, count },
    });
  }

  /** While SSO is enforced, the org keeps at least one enabled connection (break-glass aside). */
  private async assertNotLastUnderEnforcement(
    m: EntityManager,
    c: SsoConnection,
    what: 'disable' | 'delete',
  ): Promise<void> {
    const settings = await m
      .getRepository(SsoSettings)
      .createQueryBuilder('s')
      .setLock('pessimistic_write')
      .where('s.org_id = :orgId', { orgId: c.orgId })
      .getOne();
    if (!settings?.enforced) return;
    const others = await m
      .getRepository(SsoConnection)
      .createQueryBuilder('c')
      .where('c.org_id = :orgId AND c.enabled AND c.id <> :id', { orgId: c.orgId, id: c.id })
      .getCount();
    if (others === 0) {
      throw new SsoException(
        SsoErrorCode.NoConnection,
        `SSO is enforced and this is the org's only enabled connection: turn enforcement off before you ${what} it.`,
      );
    }
  }

  private checkRoles(actor: Actor, defaultRole?: Role, rules?: GroupRoleRule[]): void {
    if (defaultRole === 'owner') {
      throw new SsoException(SsoErrorCode.RoleNotAllowed, 'The default role of new members cannot be owner.');
    }
    const may = grantableRoles(actor.role);
    for (const role of [defaultRole, ...(rules ?? []).map((r) => r.role)]) {
      if (role && !may.includes(role)) {
        throw new SsoException(
          SsoErrorCode.RoleNotAllowed,
          `Your role (${actor.role}) cannot hand out the ${role} role through SSO.`,
        );
      }
    }
  }

  private async samlFields(input: SamlSettingsDto, current?: SsoConnection): Promise<Fields> {
    const f: Fields = {};
    if (input.metadataXml !== undefined) {
      let md;
      try {
        md = await parseIdpMetadata(input.metadataXml);
      } catch (e) {
        this.badSaml(`The IdP metadata could not be used: ${(e as Error).message}.`);
      }
      Object.assign(f, {
        samlIdpEntityId: md.entityId,
        samlSsoUrl: md.ssoUrl,
        samlSloUrl: md.sloUrl,
        samlIdpCerts: md.certificates,
      });
    }
    if (input.entityId !== undefined) f.samlIdpEntityId = input.entityId.trim();
    if (input.ssoUrl !== undefined) f.samlSsoUrl = input.ssoUrl.trim();
    if (input.sloUrl !== undefined) f.samlSloUrl = input.sloUrl?.trim() || null;
    if (input.certificates !== undefined) {
      try {
        f.samlIdpCerts = [...new Set(input.certificates.map(normalizeCertificate))];
      } catch (e) {
        this.badSaml(`A certificate could not be read: ${(e as Error).message}.`);
      }
    }
    if (input.allowIdpInitiated !== undefined) f.samlAllowIdpInitiated = input.allowIdpInitiated;
    if (input.emailAttribute !== undefined) f.samlEmailAttribute = input.emailAttribute?.trim() || null;

    const merged = { ...current, ...f };
    if (!merged.samlIdpEntityId)
      this.badSaml('Give the IdP metadata XML, or its entityId, ssoUrl and certificates.');
    if (!merged.samlSsoUrl) this.badSaml('The IdP single sign-on URL (ssoUrl) is missing.');
    if (!merged.samlIdpCerts?.length) this.badSaml('At least one IdP signing certificate is needed.');
    const insecure = allowsInsecureIdp(this.config);
    for (const [field, url] of [
      ['ssoUrl', merged.samlSsoUrl],
      ['sloUrl', merged.samlSloUrl],
    ] as const) {
      const problem = url ? checkUrl(url, field, insecure) : null;
      if (problem) this.badSaml(`The ${problem}.`);
    }
    return f;
  }

  private async oidcFields(input: OidcSettingsDto, current?: SsoConnection): Promise<Fields> {
    const f: Fields = {};
    if (input.issuer !== undefined) f.oidcIssuer = input.issuer.trim();
    if (input.clientId !== undefined) f.oidcClientId = input.clientId;
    if (input.clientAuthMethod !== undefined) f.oidcClientAuthMethod = input.clientAuthMethod;
    if (input.scopes !== undefined) {
      const scopes = [...new Set(input.scopes.split(/\s+/).filter(Boolean))];
      if (!scopes.includes('openid')) this.badOidc('The scopes must include "openid".');
      if (!scopes.every((s) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s)))
        this.badOidc('A scope has invalid characters.');
      f.oidcScopes = scopes.join(' ');
    }
    const issuer = f.oidcIssuer ?? current?.oidcIssuer;
    const clientId = f.oidcClientId ?? current?.oidcClientId;
    const authMethod = f.oidcClientAuthMethod ?? current?.oidcClientAuthMethod ?? 'client_secret_basic';
    if (!issuer) this.badOidc('The issuer URL is missing.');
    const problem = checkUrl(issuer, 'issuer', allowsInsecureIdp(this.config));
    if (problem) this.badOidc(`The ${problem}.`);
    if (!clientId) this.badOidc('The client ID is missing.');
    let secret = input.clientSecret;
    if (secret === undefined && !current?.oidcClientSecretSealed)
      this.badOidc('The client secret is missing.');
    const reconnect =
      !current ||
      secret !== undefined ||
      issuer !== current.oidcIssuer ||
      clientId !== current.oidcClientId ||
      authMethod !== (current.oidcClientAuthMethod ?? 'client_secret_basic');
    if (reconnect) {
      if (secret === undefined) {
        // Same secret, new issuer or client: re-check with the stored one.
        secret = open(this.config.encryptionKey, current?.oidcClientSecretSealed as string);
      }
      try {
        await this.oidc.discover({ issuer, clientId, clientSecret: secret, clientAuthMethod: authMethod });
      } catch (e) {
        throw new SsoException(
          SsoErrorCode.OidcDiscoveryFailed,
          `The issuer's discovery document could not be used (${(e as Error).message}). Check the issuer URL: it must match the "issuer" the IdP publishes, exactly.`,
        );
      }
      if (input.clientSecret !== undefined)
        f.oidcClientSecretSealed = seal(this.config.encryptionKey, input.clientSecret);
      if (!current) f.oidcClientAuthMethod = authMethod;
    }
    return f;
  }

  private describe(c: SsoConnection): Record<string, unknown> {
    return {
      name: c.name,
      protocol: c.protocol,
      enabled: c.enabled,
      jitEnabled: c.jitEnabled,
      defaultRole: c.defaultRole,
      groupRoles: c.groupRoles,
      ...(c.protocol === 'saml'
        ? { idpEntityId: c.samlIdpEntityId, ssoUrl: c.samlSsoUrl, allowIdpInitiated: c.samlAllowIdpInitiated }
        : { issuer: c.oidcIssuer, clientId: c.oidcClientId }),
    };
  }

  private badSaml(message: string): never {
    throw new SsoException(SsoErrorCode.InvalidSamlConfig, message);
  }

  private badOidc(message: string): never {
    throw new SsoException(SsoErrorCode.InvalidOidcConfig, message);
  }
}
