/** An id as a path segment; refuses anything but a positive integer so a path cannot be bent. */
export function segment(id: number): string {
  if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError(`Dolibarr ids are positive integers, got ${JSON.stringify(id)}`);
  return String(id);
}
