/** A command-line mistake: reported with the usage hint and exit code 2, before anything is sent. */
export class UsageError extends Error {}
