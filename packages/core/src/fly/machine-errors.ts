/** How Machines API failures on one app or machine read, shared by machines.ts and leases.ts. */
import type { SemflyError } from "../errors.js";
import { appNotFound, type HttpFailure, leaseConflict, machineNotFound } from "./fly-errors.js";

/** Pull a lease holder out of a conflict message, e.g. "lease held by alice@example.com". */
export function holderFromDetail(detail: string): string | undefined {
  return /\b(?:by|owner:?)\s+([^\s,;()]+@[^\s,;()]+)/i.exec(detail)?.[1];
}

/**
 * 404s name the app or the machine; a 409/412 that mentions a lease is someone else's lease (flyctl's
 * deploys and other semfly runs take one on every machine they touch).
 */
export function refineMachineFailure(app: string, machineId?: string) {
  return (failure: HttpFailure): SemflyError | undefined => {
    if (failure.status === 404) {
      const aboutMachine =
        /machine/i.test(failure.detail) || (machineId && !/\bapp\b/i.test(failure.detail));
      return machineId && aboutMachine
        ? machineNotFound(failure, app, machineId)
        : appNotFound(failure, app);
    }
    if (
      (failure.status === 409 || failure.status === 412) &&
      machineId &&
      /lease/i.test(failure.detail)
    ) {
      return leaseConflict(failure, machineId, holderFromDetail(failure.detail));
    }
    return undefined;
  };
}
