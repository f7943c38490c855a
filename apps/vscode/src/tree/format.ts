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

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * A moment on the reader's clock, as short as it can be: "14:05" on the day of `now`, "2 Dec 14:05"
 * otherwise. `utc` reads it on UTC's clock instead (tests, and a reader who wants no time zone).
 */
export function formatClock(iso: string, now: number, utc = false): string | null {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  const parts = (d: Date): [number, number, number, number, number] =>
    utc
      ? [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()]
      : [d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes()];
  const [year, month, day, hours, minutes] = parts(date);
  const [nowYear, nowMonth, nowDay] = parts(new Date(now));
  const clock = `${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
  if (year === nowYear && month === nowMonth && day === nowDay) return clock;
  return `${day} ${MONTHS[month]}${year === nowYear ? "" : ` ${year}`} ${clock}`;
}

/** "in 5 min", "in 23 h", "in 2 d" for a moment ahead; the age for one gone by ("5 min ago"). */
export function formatUntil(iso: string | null | undefined, now: number): string | null {
  if (!iso) return null;
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return null;
  const ahead = then - now;
  if (ahead <= 0) return formatAge(iso, now);
  if (ahead < MINUTE) return "in less than a minute";
  if (ahead < HOUR) return `in ${Math.floor(ahead / MINUTE)} min`;
  if (ahead < DAY) return `in ${Math.floor(ahead / HOUR)} h`;
  return `in ${Math.floor(ahead / DAY)} d`;
}
