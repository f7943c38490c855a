import type { Rng } from "./random.js";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A ULID (26 Crockford base32 chars, time first), the format of machine `instance_id`/`version`. */
export function ulid(rng: Rng, timeMs: number): string {
  let time = "";
  let t = Math.max(0, Math.floor(timeMs));
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + rng.chars(CROCKFORD, 16);
}

/** Machine ids look like `1857156b526dd8` (14 hex chars). */
export function machineId(rng: Rng): string {
  return rng.hex(14);
}

/** Release ids look like `Nj7oGMlVVpZ7JToybJoXLLjMl` (the `fly_release_id` in Fly's metadata example). */
export function releaseId(rng: Rng): string {
  return rng.chars(BASE62, 25);
}

/** Lease nonces look like `5c35f65c9f95`. */
export function leaseNonce(rng: Rng): string {
  return rng.hex(12);
}

export function privateIp(rng: Rng): string {
  return `fdaa:0:${rng.hex(4)}:a7b:${rng.hex(3)}:${rng.hex(4)}:${rng.hex(4)}:2`;
}

export function opaqueId(rng: Rng, prefix: string, length = 10): string {
  return `${prefix}${rng.chars(BASE62, length)}`;
}

const ADJECTIVES = ["aged", "bold", "calm", "damp", "eager", "fancy", "green", "hidden", "icy"];
const NOUNS = ["thunder", "moon", "river", "forest", "meadow", "sun", "wave", "field", "star"];

/** Machine names look like `aged-thunder-7371`. */
export function machineName(rng: Rng): string {
  return `${ADJECTIVES[rng.int(ADJECTIVES.length)]}-${NOUNS[rng.int(NOUNS.length)]}-${1000 + rng.int(9000)}`;
}
