import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import type { AcmeChallenge, CertificateStatus } from './certificates.port.js';
import { DOMAIN_STATUSES, type DomainStatus } from './entities/index.js';

const TLS_MODES = ['terminate', 'passthrough'] as const;
const CERTIFICATE_SOURCES = ['managed', 'uploaded'] as const;
const CERTIFICATE_STATUSES = ['none', 'pending', 'issuing', 'active', 'renewing', 'failed'] as const;
const ACME_CHALLENGES: AcmeChallenge[] = ['http-01', 'tls-alpn-01', 'dns-01'];

export class AddCustomDomainDto {
  @ApiProperty({
    example: 'app.customer.com',
    description: 'A host name, or a wildcard such as *.apps.customer.com',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(253)
  hostname!: string;

  @ApiPropertyOptional({ enum: TLS_MODES, default: 'terminate' })
  @IsOptional()
  @IsIn(TLS_MODES)
  tlsMode?: (typeof TLS_MODES)[number];

  @ApiPropertyOptional({ enum: CERTIFICATE_SOURCES, default: 'managed' })
  @IsOptional()
  @IsIn(CERTIFICATE_SOURCES)
  certificate?: (typeof CERTIFICATE_SOURCES)[number];
}

export class UpdateCustomDomainDto {
  @ApiPropertyOptional({ enum: TLS_MODES })
  @IsOptional()
  @IsIn(TLS_MODES)
  tlsMode?: (typeof TLS_MODES)[number];

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'A reserved name of the org this domain also serves; null unbinds',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(63)
  boundName?: string | null;
}

export class UploadDomainCertificateDto {
  @ApiProperty({ description: 'PEM: the certificate, then its intermediates' })
  @IsString()
  @MinLength(1)
  @MaxLength(64 * 1024)
  certPem!: string;

  @ApiProperty({ description: 'PEM: the private key of the certificate' })
  @IsString()
  @MinLength(1)
  @MaxLength(16 * 1024)
  keyPem!: string;
}

export class DomainDnsRecordDto {
  @ApiProperty({ enum: ['TXT', 'CNAME'] }) type!: 'TXT' | 'CNAME';
  @ApiProperty({ example: '_fdt-challenge.app.customer.com' }) name!: string;
  @ApiProperty({ example: 'fdt-domain-verification=…' }) value!: string;
}

export class DomainVerificationDto {
  @ApiProperty({ type: [DomainDnsRecordDto], description: 'Create these records, then call verify' })
  records!: DomainDnsRecordDto[];
  @ApiProperty({ description: 'Whether the CNAME is required too (FDT_DOMAIN_VERIFY_STRICT)' })
  strict!: boolean;
  @ApiProperty({ nullable: true, type: Date }) lastCheckedAt!: Date | null;
  @ApiProperty({ nullable: true, type: String, description: 'The error code of the last failed check' })
  lastErrorCode!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: Date, description: 'When the background re-check looks again' })
  nextCheckAt!: Date | null;
}

export class DomainCertificateDto {
  @ApiProperty({ enum: CERTIFICATE_STATUSES }) status!: CertificateStatus;
  @ApiProperty({ nullable: true, type: String }) notAfter!: Date | string | null;
  @ApiProperty({ nullable: true, type: String }) issuer!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
}

export class CustomDomainDto {
  @ApiProperty() id!: string;
  @ApiProperty() hostname!: string;
  @ApiProperty({ description: 'A wildcard, whose certificate needs DNS-01' }) wildcard!: boolean;
  @ApiProperty({ enum: DOMAIN_STATUSES }) status!: DomainStatus;
  @ApiProperty({ enum: TLS_MODES }) tlsMode!: (typeof TLS_MODES)[number];
  @ApiProperty({ enum: CERTIFICATE_SOURCES }) certificateSource!: (typeof CERTIFICATE_SOURCES)[number];
  @ApiProperty({
    enum: ACME_CHALLENGES,
    description:
      'The ACME challenge its managed certificate takes: the one it was requested with, else the one ' +
      'it would be (FDT_ACME_CHALLENGE: http-01 or tls-alpn-01; dns-01 for a wildcard)',
  })
  acmeChallenge!: AcmeChallenge;
  @ApiProperty({ nullable: true, type: String }) boundName!: string | null;
  @ApiProperty({ type: DomainVerificationDto }) verification!: DomainVerificationDto;
  @ApiProperty({ nullable: true, type: Date }) verifiedAt!: Date | null;
  @ApiProperty() createdAt!: Date;
}

export class CustomDomainDetailDto extends CustomDomainDto {
  @ApiProperty({ type: DomainCertificateDto }) certificate!: DomainCertificateDto;
}

export class CustomDomainListDto {
  @ApiProperty({ type: [CustomDomainDetailDto], description: 'Each with its certificate, as GET /:id' })
  items!: CustomDomainDetailDto[];
}
