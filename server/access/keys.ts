import { createHash, randomBytes } from 'node:crypto';

/** 192 random bits, URL-safe: a key is both the credential and what goes in a share link. */
export function generateKey(): string {
  return randomBytes(24).toString('base64url');
}

/** Link ids are public (listed to the owner); 96 random bits keep them unguessable anyway. */
export function generateLinkId(): string {
  return randomBytes(12).toString('base64url');
}

/** 120 random bits as 20 URL-safe characters: a valid DocId. */
export function generateDocId(): string {
  return randomBytes(15).toString('base64url');
}

/** Keys are high-entropy, so a fast hash is enough: nobody can brute-force 192 bits. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
