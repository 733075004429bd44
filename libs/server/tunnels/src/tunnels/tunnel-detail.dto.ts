import { ApiProperty } from '@nestjs/swagger';
import { TunnelDto } from '../tunnels.dto.js';

export class TunnelAuthtokenDto {
  @ApiProperty() id!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ description: 'the first characters of the token, to recognise it' }) prefix!: string;
  @ApiProperty({ type: String, nullable: true, description: 'the member the authtoken belongs to' })
  owner!: string | null;
  @ApiProperty({ description: 'revoked authtokens cannot start new sessions' }) revoked!: boolean;
}

export class TunnelConnectionDto {
  @ApiProperty({ description: 'the relay holding the agent connection' }) relayName!: string;
  @ApiProperty() region!: string;
  @ApiProperty({ description: 'whether that relay still heartbeats' }) relayLive!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'last status report' })
  since!: Date | null;
}

export class TunnelDetailDto extends TunnelDto {
  @ApiProperty({ type: String, nullable: true }) region!: string | null;
  @ApiProperty({ type: TunnelConnectionDto, nullable: true, description: 'null when no relay ever held it' })
  connection!: TunnelConnectionDto | null;
  @ApiProperty({ type: TunnelAuthtokenDto, nullable: true }) authtoken!: TunnelAuthtokenDto | null;
  @ApiProperty({ description: 'whether the inspector records this tunnel (HTTP tunnels)' })
  inspectable!: boolean;
}
