import { createInterface } from "node:readline/promises";
import type { RolloutPlan } from "@semfly/core";

/** Ask a yes/no question on a terminal; anything but y/yes, or Ctrl-C, is a no. */
export async function confirm(question: string, output: NodeJS.WriteStream): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output });
  // Ctrl-C at the prompt is a "no" (readline would otherwise only pause the input and wait).
  const cancel = new AbortController();
  rl.on("SIGINT", () => cancel.abort());
  try {
    const answer = await rl.question(question, { signal: cancel.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    output.write("\n");
    return false;
  } finally {
    rl.close();
  }
}

/** What the confirmation names besides the machines that change: cold, skipped and unmanaged ones. */
export function skipsText(plan: RolloutPlan): string {
  const cold = plan.machines.filter((m) => m.cold).length;
  const skippedUnreachable = plan.skipped.filter((s) =>
    plan.unreachable.some((u) => u.id === s.id),
  ).length;
  const parts = [
    ...(cold > 0 ? [`${cold} cold, updated without starting`] : []),
    ...(skippedUnreachable > 0 ? [`${skippedUnreachable} unreachable, skipped`] : []),
    ...(plan.unmanaged.length > 0 ? [`${plan.unmanaged.length} not managed, left alone`] : []),
  ];
  return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}
