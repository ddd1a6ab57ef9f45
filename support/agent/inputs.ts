import type { NewInvoiceLine, NewProduct } from './actions';

// Checks both agents make before any I/O, so a bad input fails the same way on either path.

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A YYYY-MM-DD calendar date, or an error saying what was expected. */
export function checkInvoiceDate(date: string): string {
  const match = ISO_DATE.exec(date);
  const parsed = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!parsed || parsed.toISOString().slice(0, 10) !== date) {
    throw new TypeError(`An invoice date must be a calendar date written YYYY-MM-DD, got ${JSON.stringify(date)}.`);
  }
  return date;
}

/** A positive integer id, or an error naming what it identifies. */
export function checkId(what: string, id: number): number {
  if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError(`${what} must be a positive integer id, got ${JSON.stringify(id)}.`);
  return id;
}

function checkAmount(what: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${what} must be a finite number, got ${JSON.stringify(value)}.`);
  return value;
}

export function checkProduct(product: NewProduct): NewProduct {
  if (product.ref.trim() === '' || product.label.trim() === '') throw new TypeError('A product needs a non-empty ref and label.');
  checkAmount('price', product.price);
  checkAmount('vatRate', product.vatRate);
  return product;
}

export function checkLine(line: NewInvoiceLine): NewInvoiceLine {
  checkId('productId', line.productId);
  checkAmount('quantity', line.quantity);
  checkAmount('unitPrice', line.unitPrice);
  checkAmount('vatRate', line.vatRate);
  return line;
}

export function checkPrice(price: number): number {
  return checkAmount('price', price);
}

/** A date as Dolibarr's API takes it: a Unix timestamp. Noon UTC is the same calendar day in any server time zone from UTC-11 to UTC+11. */
export function invoiceTimestamp(date: string): number {
  const [y, m, d] = checkInvoiceDate(date).split('-').map(Number);
  return Date.UTC(y, m - 1, d, 12) / 1000;
}
