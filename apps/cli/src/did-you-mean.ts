/** The closest known command to a mistyped one, or null when none is close enough to be a slip. */
export function closestCommand(typed: string, commands: readonly string[]): string | null {
  let best: { id: string; distance: number } | null = null;
  for (const id of commands) {
    const distance = editDistance(typed.toLowerCase(), id.toLowerCase());
    if (!best || distance < best.distance) best = { id, distance };
  }
  // A third of the word may be wrong: `rollbak`, `verions`, `stauts` are slips; `frobnicate` is not.
  if (!best || best.distance > Math.max(1, Math.floor(typed.length / 3))) return null;
  return best.id;
}

/** Levenshtein distance, with a swap of two neighbouring letters counted as one edit. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]!.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]!.push(value);
    }
  }
  return rows[a.length]![b.length]!;
}
