/**
 * What the browser build gets for Node's `buffer` module: nothing. lib0 names Node's `Buffer` only
 * on branches a page never takes (its base64 helpers check for a browser first), and the bundler's
 * stand-in for it was 22 KB of the document page's first JavaScript.
 */
export const Buffer = undefined;
