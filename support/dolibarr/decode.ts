/** Result of checking a 2xx JSON answer against what the operation expects. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; found: string };

/** Checks a parsed 2xx answer; `found` describes what came back instead. */
export type Decoder<T> = (value: unknown) => Decoded<T>;

/** Short JSON rendering of an unexpected value (the transport redacts it). */
export function describeJson(value: unknown): string {
  if (value === undefined) return 'an empty body';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** Creates answer with the new row id as a bare JSON number (`return $this->object->id`). */
export const newId: Decoder<number> = (value) => {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return { ok: true, value };
  if (typeof value === 'string' && /^[1-9][0-9]*$/.test(value)) return { ok: true, value: Number(value) };
  return { ok: false, found: describeJson(value) };
};

/**
 * A JSON object. Dolibarr's update and validate endpoints answer `false`
 * (HTTP 200) when the PHP object refused the change.
 */
export function objectOf<T>(): Decoder<T> {
  return (value) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { ok: true, value: value as T };
    const why = value === false ? " (Dolibarr's 'nothing saved' answer)" : '';
    return { ok: false, found: `${describeJson(value)}${why}` };
  };
}

/**
 * Delete answers: older Dolibarr returns the PHP delete() result, an int that is
 * <= 0 on failure *with HTTP 200*; newer returns `{"success":{"code":200,...}}`.
 */
export const deleted: Decoder<void> = (value) => {
  if (typeof value === 'number' && value > 0) return { ok: true, value: undefined };
  if (value === true) return { ok: true, value: undefined };
  if (typeof value === 'object' && value !== null && 'success' in value) return { ok: true, value: undefined };
  const why = typeof value === 'number' || value === false ? " (Dolibarr's delete() failure return)" : '';
  return { ok: false, found: `${describeJson(value)}${why}` };
};
