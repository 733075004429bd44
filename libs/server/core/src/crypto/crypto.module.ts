import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeyRingService } from './key-ring.service.js';
import { SigningKey } from './signing-key.entity.js';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([SigningKey])],
  providers: [KeyRingService],
  exports: [KeyRingService],
})
export class PlatformCryptoModule {}

export const CORE_ENTITIES = [SigningKey];
