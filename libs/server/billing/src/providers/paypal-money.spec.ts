import { describe, expect, it } from '@jest/globals';
import { fromMinor, toMinor } from './paypal-money.js';

describe('PayPal amounts', () => {
  it('turns decimal strings into minor units and back, with no decimals for JPY, HUF, TWD', () => {
    expect(toMinor('9.99', 'USD')).toBe(999);
    expect(toMinor('10', 'EUR')).toBe(1000);
    expect(toMinor('10.5', 'usd')).toBe(1050);
    expect(toMinor('1500', 'JPY')).toBe(1500);
    expect(fromMinor(999, 'USD')).toBe('9.99');
    expect(fromMinor(5, 'USD')).toBe('0.05');
    expect(fromMinor(0, 'USD')).toBe('0.00');
    expect(fromMinor(1500, 'JPY')).toBe('1500');
  });

  it('refuses what is not an amount', () => {
    expect(() => toMinor('9.999', 'USD')).toThrow();
    expect(() => toMinor('1.5', 'JPY')).toThrow();
    expect(() => toMinor('-1.00', 'USD')).toThrow();
    expect(() => toMinor('1e3', 'USD')).toThrow();
    expect(() => fromMinor(1.5, 'USD')).toThrow();
    expect(() => fromMinor(-1, 'USD')).toThrow();
  });
});
