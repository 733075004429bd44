import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { type Actor, Authenticated, CurrentActor } from '@fdt/server-core';
import { EMAIL_VERIFICATION_TOKEN, EmailVerificationService } from './email-verification.service.js';

export class ConfirmEmailDto {
  @ApiProperty()
  @IsString()
  @Matches(EMAIL_VERIFICATION_TOKEN, { message: 'not an email confirmation token' })
  token!: string;
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('api/v1/me/email-verification')
export class EmailVerificationController {
  constructor(private readonly verification: EmailVerificationService) {}

  /** Emails a confirmation token to the signed-in account's address (needs FDT_SMTP_URL). */
  @Post()
  @Authenticated()
  @HttpCode(204)
  @ApiNoContentResponse()
  send(@CurrentActor() actor: Actor): Promise<void> {
    return this.verification.send(actor);
  }

  /** Confirms the address while signed in as the account: it counts as proven from now on. */
  @Post('confirm')
  @Authenticated()
  @HttpCode(204)
  @ApiNoContentResponse()
  confirm(@CurrentActor() actor: Actor, @Body() dto: ConfirmEmailDto): Promise<void> {
    return this.verification.confirm(actor, dto.token);
  }
}
