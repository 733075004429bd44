import { SsoLoginError, SsoLoginErrorCode as C } from '../sso.errors.js';

/** The messages and claim names along an error's cause chain (openid-client wraps oauth4webapi's). */
function trail(err: unknown): { messages: string[]; claims: string[]; names: string[] } {
  const out = { messages: [] as string[], claims: [] as string[], names: [] as string[] };
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof Error) {
      out.messages.push(cur.message);
      out.names.push(cur.name);
    }
    const claim = (cur as { claim?: unknown }).claim;
    if (typeof claim === 'string') out.claims.push(claim);
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

export function classifyOidcError(err: unknown): SsoLoginError {
  if (err instanceof SsoLoginError) return err;
  const t = trail(err);
  const text = t.messages.join(' | ');
  if (t.claims.includes('nonce') || /"nonce"/.test(text)) return new SsoLoginError(C.NonceMismatch, text);
  if (/"state"/.test(text)) return new SsoLoginError(C.StateMismatch, text);
  if (t.names.includes('AuthorizationResponseError')) return new SsoLoginError(C.IdpError, text);
  return new SsoLoginError(C.OidcTokenError, text || String(err));
}
