import type { EntityManager } from 'typeorm';

/** Runs SQL with `:named` parameters (bound by the driver, never spliced into the text). */
export async function query<T>(
  m: EntityManager,
  sql: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const [text, values] = m.dataSource.driver.escapeQueryWithParameters(sql, params);
  return (await m.query(text, values)) as T[];
}

/** Whether a database error is a unique violation (a concurrent insert of the same key). */
export const isUniqueViolation = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: string }).code === '23505';
