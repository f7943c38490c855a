import { createHash } from "node:crypto";

/** RFC 3339 without fractional seconds, the way Fly prints `created_at` / `createdAt`. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function sha1Hex(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Merges plain objects key by key (later wins); arrays and scalars are replaced, not merged. */
export function deepMerge<T extends Record<string, unknown>>(
  ...layers: Array<Record<string, unknown> | undefined>
): T {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      const existing = out[key];
      out[key] =
        isPlainObject(existing) && isPlainObject(value)
          ? deepMerge(existing, value)
          : structuredClone(value);
    }
  }
  return out as T;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
