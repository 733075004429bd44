import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PlatformConfig } from '../config/platform-config.js';
import { dataSourceOptions, migrate } from './data-source-options.js';

/** TypeORM on PostgreSQL; applies pending migrations at start when FDT_RUN_MIGRATIONS is on. */
@Module({})
export class PlatformDatabaseModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: PlatformDatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(config, []), autoLoadEntities: true }),
          dataSourceFactory: async (options) => {
            if (!options) throw new Error('no data source options');
            const ds = await new DataSource(options).initialize();
            if (config.runMigrations) await migrate(ds);
            return ds;
          },
        }),
      ],
    };
  }
}
