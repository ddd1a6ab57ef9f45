import { REDACTED, type RowImage } from './change-set';

/** Whether a column holds secrets, by name. A global or sticky flag would make RegExp.test stateful: dropped. */
export function secretColumnTest(pattern: RegExp): (column: string) => boolean {
  const stateless = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  return (column) => stateless.test(column);
}

/** The image with every non-null value of a secret column replaced; a null stays null (it reveals nothing). */
export function redactImage(image: RowImage, isSecret: (column: string) => boolean): RowImage {
  const out: RowImage = {};
  for (const [column, value] of Object.entries(image)) out[column] = value !== null && isSecret(column) ? REDACTED : value;
  return out;
}
