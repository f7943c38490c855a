/** "Now" for relative times: SEMFLY_NOW (RFC 3339) freezes it, for tests and reproducible output. */
export function currentTime(env: Record<string, string | undefined> = process.env): number {
  const frozen = env.SEMFLY_NOW ? Date.parse(env.SEMFLY_NOW) : Number.NaN;
  return Number.isNaN(frozen) ? Date.now() : frozen;
}

/** `45s ago`, `12m ago`, `5h ago`, `3d ago`, `4mo ago`, `2y ago`, the way flyctl keeps dates short. */
export function timeAgo(iso: string | null, now: number): string {
  if (!iso) return "-";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.max(0, Math.floor((now - then) / 1000));
  if (seconds < 60) return seconds < 5 ? "just now" : `${seconds}s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  const days = Math.floor(hours / 24);
  if (days < 60) return `${days}d ago`;
  const months = Math.floor(days / 30);
  if (months < 24) return `${months}mo ago`;
  return `${Math.floor(days / 365)}y ago`;
}
