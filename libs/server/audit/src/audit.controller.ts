import { Controller, Get, Header, Logger, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Permission, RequirePermission } from '@fdt/server-core';
import { AuditService } from './audit.service.js';
import type { AuditExportFormat } from './audit.types.js';
import { ExportAuditQueryDto, ListAuditQueryDto, toAuditFilters } from './dto/audit-query.dto.js';
import { AuditIntegrityDto, AuditPageDto } from './dto/audit-response.dto.js';

const EXPORT_CONTENT_TYPES: Record<AuditExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

// The org is always the actor's: no audit route takes an org from the request.
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit')
export class AuditController {
  private readonly logger = new Logger(AuditController.name);

  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequirePermission(Permission.AuditRead)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: AuditPageDto })
  list(@CurrentActor() actor: Actor, @Query() q: ListAuditQueryDto): Promise<AuditPageDto> {
    return this.audit.list(actor.orgId, toAuditFilters(q), q.cursor, q.limit);
  }

  @Get('integrity')
  @RequirePermission(Permission.AuditRead)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: AuditIntegrityDto })
  integrity(@CurrentActor() actor: Actor): Promise<AuditIntegrityDto> {
    return this.audit.verify(actor.orgId);
  }

  @Get('export')
  @RequirePermission(Permission.AuditRead)
  @Header('Cache-Control', 'no-store')
  @ApiProduces(EXPORT_CONTENT_TYPES.ndjson, EXPORT_CONTENT_TYPES.csv)
  @ApiOkResponse({ description: 'The matching events, oldest first.' })
  async export(@CurrentActor() actor: Actor, @Query() q: ExportAuditQueryDto): Promise<StreamableFile> {
    const stream = await this.audit.export(actor.orgId, q.format, toAuditFilters(q));
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    return new StreamableFile(stream, {
      type: EXPORT_CONTENT_TYPES[q.format],
      disposition: `attachment; filename="audit-${stamp}.${q.format}"`,
    }).setErrorHandler((err, res) => {
      this.logger.error({ err }, 'audit export failed');
      if (res.destroyed) return;
      // A cut connection: never a short file that looks complete.
      if (res.destroy) res.destroy();
      else res.end();
    });
  }
}
