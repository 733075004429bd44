// @nestjs/swagger's ApiExcludeController() writes this metadata key; writing it ourselves
// keeps swagger (and its ~500 modules) out of processes that never serve an OpenAPI
// document (the relay) while the api's document still leaves these controllers out.
// openapi-exclude.spec.ts checks that swagger still reads it.
const API_EXCLUDE_CONTROLLER = 'swagger/apiExcludeController';

/** Same as @nestjs/swagger's `@ApiExcludeController()`, without loading swagger. */
export const ExcludeFromOpenApi = (): ClassDecorator => (target) => {
  const previous = (Reflect.getMetadata(API_EXCLUDE_CONTROLLER, target) as unknown[] | undefined) ?? [];
  Reflect.defineMetadata(API_EXCLUDE_CONTROLLER, [...previous, true], target);
};
