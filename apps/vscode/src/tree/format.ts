/** Small text helpers for tree labels, descriptions and tooltips. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 min ago", "2 h ago", "3 d ago", "4 mo ago", "2 y ago"; null for a missing or bad date. */
export function formatAge(iso: string | null | undefined, now: number): string | null {
  if (!iso) return null;
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return null;
  const elapsed = Math.max(0, now - then);
  if (elapsed < MINUTE) return "just now";
  if (elapsed < HOUR) return `${Math.floor(elapsed / MINUTE)} min ago`;
  if (elapsed < DAY) return `${Math.floor(elapsed / HOUR)} h ago`;
  if (elapsed < 30 * DAY) return `${Math.floor(elapsed / DAY)} d ago`;
  if (elapsed < 365 * DAY) return `${Math.floor(elapsed / (30 * DAY))} mo ago`;
  return `${Math.floor(elapsed / (365 * DAY))} y ago`;
}

/** "2026-11-26 09:14 UTC": unambiguous in a tooltip whatever the reader's time zone. */
export function formatTimestamp(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "alice@example.com" → "alice@…": enough to recognise a colleague in a one-line description. */
export function shortUser(user: string | null | undefined): string | null {
  if (!user) return null;
  const at = user.indexOf("@");
  return at > 0 ? `${user.slice(0, at)}@…` : user;
}

/** "1 machine", "3 machines": the one form every message and tooltip uses. */
export function machineCount(count: number): string {
  return `${count} machine${count === 1 ? "" : "s"}`;
}

/** Join the parts that exist with " · ". */
export function joinParts(...parts: (string | null | undefined | false)[]): string {
  return parts
    .filter((part): part is string => typeof part === "string" && part !== "")
    .join(" · ");
}

/** Escape text for a MarkdownString so that names and messages render literally. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (char) => `\\${char}`);
}

/** A Markdown code span that survives backticks inside the text. */
export function code(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  return `${fence}${text}${fence}`;
}
