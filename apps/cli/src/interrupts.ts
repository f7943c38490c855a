/**
 * Ctrl-C, and SIGTERM (a cancelled CI job, a container stopping), during a rollout: the first one aborts
 * the engine's signal, which stops starting new work and lets the engine finish its outcome (revert, re-park,
 * release record, leases given back); a second Ctrl-C exits at once, leaving the leases to their TTL.
 */
export async function withInterrupts<T>(
  input: { leaseTtlSeconds: number; err: (text: string) => void },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (name: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      controller.abort();
      input.err(
        `\nInterrupting${name === "SIGINT" ? "" : ` (${name})`}: no new machine starts; machines in flight finish and leases are released. Press Ctrl-C again to exit now.`,
      );
      return;
    }
    input.err(`Exiting now; leases expire by themselves within ${input.leaseTtlSeconds}s.`);
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
