/** `semfly keep`: park a stopped, service-less machine on a version's image, so Fly keeps the image. */
import { inputError, isSemflyError } from "../errors.js";
import type { FlyClient } from "../fly/client.js";
import type { VersionHistory } from "../versions/history.js";
import {
  type KeptImage,
  keepMachineConfig,
  keepMachineName,
  keptImages,
} from "../versions/keep.js";
import { lookupVersion } from "../versions/target.js";

export type KeepClient = Pick<FlyClient, "listMachines" | "createMachine">;

export interface KeepResult {
  kept: KeptImage;
  /** False when a kept machine for this digest existed already. */
  created: boolean;
}

export async function listKeptImages(
  client: Pick<FlyClient, "listMachines">,
  app: string,
  signal?: AbortSignal,
  now = Date.now(),
): Promise<KeptImage[]> {
  return keptImages(await client.listMachines(app, { signal }), now);
}

export interface KeepOptions {
  signal?: AbortSignal | undefined;
  /** How long to keep it (ms): after that `semfly gc` destroys the machine. Default: no end. */
  forMs?: number | undefined;
  now?: number;
}

export async function keepVersion(
  client: KeepClient,
  history: VersionHistory,
  spec: string,
  options: KeepOptions = {},
): Promise<KeepResult> {
  const { signal } = options;
  const now = options.now ?? Date.now();
  const app = history.app;
  const entry = lookupVersion(history, spec, { rangeVerb: "to keep" });
  const name = entry.version ?? entry.key;
  if (!entry.digest) {
    throw inputError(
      "KEEP_NO_DIGEST",
      `No digest of ${name}'s image is known on ${app}: Fly no longer resolves it (pruned?), so there is nothing exact to keep.`,
      "Keep versions while Fly still has their images (`semfly versions` shows which do); push it again to keep it from now on.",
    );
  }
  const existing = (await listKeptImages(client, app, signal, now)).find(
    (k) => k.digest === entry.digest,
  );
  if (existing) return { kept: existing, created: false };
  const expiresAt = options.forMs ? new Date(now + options.forMs).toISOString() : null;
  const config = keepMachineConfig(entry, entry.digest, expiresAt);
  const region = history.machines[0]?.machine.region;
  // No check through `app.image` first: whether it resolves digest refs is uncertain, the create is not.
  const machine = await client
    .createMachine(
      app,
      {
        config,
        name: keepMachineName(name),
        ...(region ? { region } : {}),
        skipLaunch: true,
        skipServiceRegistration: true,
      },
      { signal },
    )
    .catch((error: unknown) => {
      if (isSemflyError(error) && error.status === 400 && /manifest/i.test(error.message)) {
        throw inputError(
          "KEEP_IMAGE_GONE",
          `Fly no longer has the image of ${name} (${config.image}): it can no longer be kept.`,
          "Push the image again to registry.fly.io (`semfly deploy --push`) to keep it from now on.",
        );
      }
      throw error;
    });
  const [kept] = keptImages([machine], now);
  if (!kept) throw new Error(`created machine ${machine.id} does not carry the keep metadata`);
  return { kept, created: true };
}
