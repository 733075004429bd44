// The only place @fdt/agent reads the environment: the SDK's defaults for the credential
// and the api. Everything else takes explicit options.
export const DEFAULT_API_URL = 'http://localhost:3000';

export interface AgentEnvDefaults {
  authtoken?: string;
  apiUrl: string;
}

export function agentEnvDefaults(): AgentEnvDefaults {
  const authtoken = process.env.FDT_AUTHTOKEN?.trim();
  const apiUrl = process.env.FDT_API_URL?.trim();
  return { authtoken: authtoken || undefined, apiUrl: apiUrl || DEFAULT_API_URL };
}
