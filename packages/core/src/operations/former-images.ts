import type { FlyClient } from "../fly/client.js";
import { unknownImageRefs } from "../versions/former-images.js";
import type { FormerImage, VersionHistory } from "../versions/history.js";

export type FormerImagesClient = Pick<FlyClient, "listMachineVersions" | "resolveImage">;

/** How many machines' config histories to read, and how many unknown images to resolve at most. */
const MACHINES_TO_READ = 3;
const IMAGES_TO_RESOLVE = 10;

/**
 * Images the machines ran that no release names (a `fly image update` semfly has since rolled away from),
 * read from the machines' own config history and resolved through Fly for their digest and labels. Only
 * asked when a target is not in the history, so ordinary loads never pay for it.
 */
export async function findFormerImages(
  client: FormerImagesClient,
  history: VersionHistory,
  signal?: AbortSignal,
): Promise<FormerImage[]> {
  const call = signal ? { signal } : {};
  const machines = [...history.machines]
    .sort((a, b) => a.machine.id.localeCompare(b.machine.id))
    .slice(0, MACHINES_TO_READ);
  const configs = await Promise.all(
    machines.map(({ machine }) => client.listMachineVersions(history.app, machine.id, call)),
  );
  const refs = configs
    .flat()
    .sort((a, b) => b.version.localeCompare(a.version))
    .map((v) => v.config.image)
    .filter((image): image is string => typeof image === "string" && image !== "");
  const unknown = unknownImageRefs(history, refs).slice(0, IMAGES_TO_RESOLVE);
  const resolved = await Promise.all(
    unknown.map((ref) => client.resolveImage(history.app, ref, call)),
  );
  const seen = new Set<string>();
  const found: FormerImage[] = [];
  resolved.forEach((image, i) => {
    if (!image || seen.has(image.digest)) return;
    seen.add(image.digest);
    found.push({ ref: unknown[i] ?? image.ref, digest: image.digest, labels: image.labels });
  });
  return found;
}
