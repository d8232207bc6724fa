const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A random 16-character id (about 95 bits), from the platform's crypto in browsers and Node
 * alike; `getRandomValues` also works on pages served over plain HTTP, where `randomUUID` does not.
 */
export function newCommentId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let id = '';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}
