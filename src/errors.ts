// Errors the user can act on. The CLI prints their message as one line on
// stderr and exits with their code; anything else is a bug (exit 1).

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;

/** Bad usage or bad input: a missing file, an unknown format, a bad line under --strict. */
export class UserError extends Error {
  readonly exitCode = EXIT_USAGE;
}
