/** A validated document id: 1 to 64 characters of `A-Z a-z 0-9 _ -`. */
export type DocId = string & { readonly __brand: 'DocId' };

const DOC_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const DOC_ID_RULE = '1 to 64 characters of A-Z, a-z, 0-9, "_" and "-"';

export function isDocId(value: string): value is DocId {
  return DOC_ID_PATTERN.test(value);
}

/** Parses an untrusted id, throwing a RangeError that says what a valid id looks like. */
export function parseDocId(value: string): DocId {
  if (!isDocId(value)) throw new RangeError(`invalid document id: expected ${DOC_ID_RULE}`);
  return value;
}
