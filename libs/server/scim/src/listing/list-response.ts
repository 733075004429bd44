import { ScimSchema } from '../constants.js';

export interface ListResponse<T> {
  schemas: [typeof ScimSchema.ListResponse];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

export const listResponse = <T>(
  resources: T[],
  totalResults: number,
  startIndex: number,
): ListResponse<T> => ({
  schemas: [ScimSchema.ListResponse],
  totalResults,
  startIndex,
  itemsPerPage: resources.length,
  Resources: resources,
});
