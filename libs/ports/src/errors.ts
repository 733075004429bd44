/** A network round trip took longer than its budget. */
export class PortTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms`);
    this.name = new.target.name;
  }
}

/** A bounded structure is full, or an argument is outside what the port accepts. */
export class PortLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The adapter was closed; nothing more goes through it. */
export class PortClosedError extends Error {
  constructor(what: string) {
    super(`${what} is closed`);
    this.name = new.target.name;
  }
}

/** Where adapters report what they cannot throw to a caller (a failing handler, a dropped connection). */
export type PortErrorReporter = (error: unknown, context: string) => void;

// Libraries must not swallow errors silently; apps pass their logger instead.
export const reportToConsole: PortErrorReporter = (error, context) => {
  console.error(`[@fdt/ports] ${context}:`, error);
};
