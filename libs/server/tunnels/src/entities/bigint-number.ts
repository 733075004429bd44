import type { ValueTransformer } from 'typeorm';

/** pg returns bigint as a string (it may exceed 2^53); sequences here stay far below that. */
export const bigintNumber: ValueTransformer = {
  to: (v: number | undefined) => v,
  from: (v: string | null) => (v === null ? 0 : Number(v)),
};
