import { ApiProperty } from '@nestjs/swagger';
import { IsIn, ValidateIf } from 'class-validator';
import { MAPPABLE_ROLES, type MappableRole } from '../constants.js';

export class SetGroupRoleDto {
  @ApiProperty({
    enum: MAPPABLE_ROLES,
    nullable: true,
    description: 'The role the group’s members get (owner cannot be mapped); null removes the mapping.',
  })
  @ValidateIf((o: SetGroupRoleDto) => o.role !== null)
  @IsIn(MAPPABLE_ROLES)
  role!: MappableRole | null;
}

export class ScimGroupDto {
  @ApiProperty() id!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ nullable: true, type: String }) externalId!: string | null;
  @ApiProperty({ enum: MAPPABLE_ROLES, nullable: true }) role!: MappableRole | null;
  @ApiProperty() memberCount!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class ScimGroupListDto {
  @ApiProperty({ type: [ScimGroupDto] }) items!: ScimGroupDto[];
}
