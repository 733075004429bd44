import { PortLimitError } from '../errors.js';

export function assertName(kind: string, value: string, maxLength = 512): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new PortLimitError(`${kind} must be a non-empty string of at most ${maxLength} characters`);
  }
}

export function assertPositive(kind: string, value: number, integer = false): void {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new PortLimitError(`${kind} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}

/** JSON text of `message`, refused when it cannot be serialised or is larger than `maxBytes`. */
export function toJson(message: unknown, maxBytes: number): string {
  const text = JSON.stringify(message);
  if (text === undefined) throw new PortLimitError('message is not JSON-serializable');
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes)
    throw new PortLimitError(`message of ${bytes} bytes exceeds the limit of ${maxBytes}`);
  return text;
}
