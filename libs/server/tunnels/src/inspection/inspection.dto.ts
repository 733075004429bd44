import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBase64,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export class ListRequestsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'The id of the oldest request of the previous page.' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,16}-\d{1,16}$/, { message: 'before must be a request id' })
  before?: string;
}

export class HeaderDto {
  @ApiProperty({ example: 'content-type' }) name!: string;
  @ApiProperty({ example: 'application/json' }) value!: string;
}

/** A request as the live list shows it (no headers or bodies). */
export class InspectedRequestSummaryDto {
  @ApiProperty({ description: 'orders requests; newest highest' }) id!: string;
  @ApiProperty({ description: 'the relay’s request id (also sent to the agent)' }) requestId!: string;
  @ApiProperty() tunnel!: string;
  @ApiProperty() host!: string;
  @ApiProperty({ example: 'GET' }) method!: string;
  @ApiProperty({ example: '/api/items?page=2' }) path!: string;
  @ApiProperty({ description: '0 when no response came' }) status!: number;
  @ApiProperty() remoteAddr!: string;
  @ApiProperty({ description: 'epoch milliseconds' }) startedAt!: number;
  @ApiProperty() durationMs!: number;
  @ApiPropertyOptional() timeToHeadMs?: number;
  @ApiProperty() requestBytes!: number;
  @ApiProperty() responseBytes!: number;
  @ApiPropertyOptional({ description: 'Fdt-Error-Code when the edge answered itself' }) error?: string;
  @ApiProperty({ type: String, nullable: true }) requestContentType!: string | null;
  @ApiProperty({ type: String, nullable: true }) responseContentType!: string | null;
}

export class InspectedRequestListDto {
  @ApiProperty({ type: [InspectedRequestSummaryDto] }) items!: InspectedRequestSummaryDto[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as `before` for older requests' })
  nextBefore!: string | null;
}

export class InspectedRequestDto extends InspectedRequestSummaryDto {
  @ApiProperty({ type: [HeaderDto] }) requestHeaders!: HeaderDto[];
  @ApiProperty({ type: [HeaderDto] }) responseHeaders!: HeaderDto[];
  @ApiProperty({ description: 'base64 of the first 64 KiB' }) requestBody!: string;
  @ApiProperty() requestBodyTruncated!: boolean;
  @ApiProperty({ description: 'base64 of the first 64 KiB' }) responseBody!: string;
  @ApiProperty() responseBodyTruncated!: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

export class HeaderInputDto {
  @ApiProperty() @IsString() @Matches(TOKEN, { message: 'header names are HTTP tokens' }) name!: string;
  @ApiProperty()
  @IsString()
  @MaxLength(8192)
  // Visible ASCII, space, tab and obs-text; never CR or LF (no header injection).
  @Matches(/^[\t\x20-\x7e\x80-\xff]*$/, { message: 'header values cannot contain control characters' })
  value!: string;
}

/** Optional edits; anything left out is sent as recorded. */
export class ReplayRequestDto {
  @ApiPropertyOptional({ example: 'POST' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z]{1,16}$/, { message: 'method must be an upper-case HTTP method' })
  method?: string;

  @ApiPropertyOptional({ example: '/api/items?page=2' })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  @Matches(/^\/[\x21-\x7e]*$/, { message: 'path must start with / and contain no spaces' })
  path?: string;

  @ApiPropertyOptional({ type: [HeaderInputDto], description: 'Replaces every recorded header when given.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => HeaderInputDto)
  headers?: HeaderInputDto[];

  @ApiPropertyOptional({ description: 'base64; replaces the recorded body (at most 64 KiB decoded)' })
  @IsOptional()
  @IsString()
  @MaxLength(90_000)
  @IsBase64()
  body?: string;
}

export class ReplayResultDto {
  @ApiProperty({ description: 'the status the tunnel answered with' }) status!: number;
  @ApiProperty() durationMs!: number;
  @ApiPropertyOptional({ description: 'Fdt-Error-Code when the edge answered itself' }) error?: string;
  @ApiProperty({ description: 'whether any part of the request was edited' }) edited!: boolean;
}
