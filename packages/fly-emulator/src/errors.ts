/** A rule broken by a request; the API layers map it to their own status and body. */
export class EmulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = "unknown",
  ) {
    super(message);
  }
}
