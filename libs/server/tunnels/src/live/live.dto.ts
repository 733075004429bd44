import { ApiProperty } from '@nestjs/swagger';
import { TunnelDto } from '../tunnels.dto.js';

export class LiveStatsDto {
  @ApiProperty({ description: 'agent connections (authtoken × relay) with a tunnel online' })
  agentsOnline!: number;
  @ApiProperty() tunnelsOnline!: number;
  @ApiProperty() tunnelsTotal!: number;
  @ApiProperty({ description: 'HTTP requests through the org’s tunnels in the last minute' })
  requestsPerMinute!: number;
  @ApiProperty({ description: 'request bytes from visitors in the last minute' }) bytesInPerMinute!: number;
  @ApiProperty({ description: 'response bytes to visitors in the last minute' }) bytesOutPerMinute!: number;
  @ApiProperty({ description: 'requests answered 5xx or by the edge in the last minute' })
  errorsPerMinute!: number;
}

export class LiveTunnelDto extends TunnelDto {
  @ApiProperty({ type: String, nullable: true }) region!: string | null;
  @ApiProperty() requestsPerMinute!: number;
}

export class LiveSnapshotDto {
  @ApiProperty({ type: String, format: 'date-time' }) at!: string;
  @ApiProperty({ type: LiveStatsDto }) stats!: LiveStatsDto;
  @ApiProperty({ type: [LiveTunnelDto] }) tunnels!: LiveTunnelDto[];
}
