// The feature libs that own entities. Each exports arrays named `<DOMAIN>_ENTITIES`.
export const ENTITY_PACKAGES = ['@fdt/server-core', '@fdt/identity', '@fdt/tunnels', '@fdt/audit', '@fdt/server-sso', '@fdt/server-scim', '@fdt/domains', '@fdt/certificates', '@fdt/billing'];

export async function loadEntities() {
  const entities = [];
  for (const name of ENTITY_PACKAGES) {
    let mod;
    try {
      mod = await import(name);
    } catch (e) {
      if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(name)) continue;
      throw e;
    }
    for (const [key, value] of Object.entries(mod)) if (key.endsWith('_ENTITIES')) entities.push(...value);
  }
  return entities;
}
