import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class AddDomainDto {
  @ApiProperty({ example: 'example.com', description: 'The email domain, without @' })
  @IsString()
  @MinLength(1)
  @MaxLength(253)
  domain!: string;
}

export class TxtRecordDto {
  @ApiProperty({ example: '_fdt-challenge.example.com' }) name!: string;
  @ApiProperty({ example: 'TXT' }) type!: 'TXT';
  @ApiProperty({ example: 'fdt-domain-verification=…' }) value!: string;
}

export class DomainDto {
  @ApiProperty() id!: string;
  @ApiProperty() domain!: string;
  @ApiProperty({ enum: ['pending', 'verified'] }) status!: 'pending' | 'verified';
  @ApiProperty({ type: TxtRecordDto, description: 'Publish this record, then call verify' })
  txtRecord!: TxtRecordDto;
  @ApiProperty({ nullable: true, type: Date }) verifiedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) lastCheckedAt!: Date | null;
  @ApiProperty() createdAt!: Date;
}

export class DomainListDto {
  @ApiProperty({ type: [DomainDto] }) items!: DomainDto[];
}
