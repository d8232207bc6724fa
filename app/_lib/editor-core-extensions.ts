/**
 * Which of TipTap's built-in extensions the editor runs (its `enableCoreExtensions` option).
 *
 * 'delete' sets a timer on every transaction, the ones that apply another person's keystrokes
 * included, and after each local one works out which nodes and marks it deleted, only to emit
 * them as `delete` events. Nothing here listens to those, so that is work on every keystroke,
 * in the writer's and in every reader's browser, for no one.
 */
export const CORE_EXTENSIONS = { delete: false } as const;
