// PayPal's amounts are decimal strings in the currency's unit ("9.99"); ours are integers in
// minor units. PayPal's currencies without decimals (its currency-codes page): HUF, JPY, TWD.
const ZERO_DECIMAL = new Set(['HUF', 'JPY', 'TWD']);

const decimals = (currency: string) => (ZERO_DECIMAL.has(currency.toUpperCase()) ? 0 : 2);

/** "9.99" USD -> 999; "100" JPY -> 100. Throws on anything that is not a plain decimal. */
export function toMinor(value: string, currency: string): number {
  const d = decimals(currency);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m || (m[2]?.length ?? 0) > d) throw new Error(`not a ${currency} amount: ${value}`);
  return Number(m[1]) * 10 ** d + Number((m[2] ?? '').padEnd(d, '0') || 0);
}

/** 999 USD -> "9.99"; 100 JPY -> "100". */
export function fromMinor(minor: number, currency: string): string {
  if (!Number.isInteger(minor) || minor < 0) throw new Error(`not an amount in minor units: ${minor}`);
  const d = decimals(currency);
  if (d === 0) return String(minor);
  const s = String(minor).padStart(d + 1, '0');
  return `${s.slice(0, -d)}.${s.slice(-d)}`;
}
