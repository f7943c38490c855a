/**
 * Which image a `deploy` puts on machines. Fly machines get no pull credentials for other registries
 * (REAL-BEHAVIOUR.md §10): a private image elsewhere cannot run, so it is refused with the fix (push it to
 * registry.fly.io/<app>), or copied there with `--push`. Public images (Docker Hub ones come back on Fly's
 * mirror) and registry.fly.io images resolve through GraphQL `app.image`, as `fly deploy --image` does.
 */
import { inputError, isSemflyError, quote, type SemflyError } from "../errors.js";
import type { FlyClient } from "../fly/client.js";
import type { RegistryClient } from "./client.js";
import { FLY_REGISTRY_HOST, isFlyRegistry, parseRegistryReference } from "./reference.js";

export interface DeployImageInput {
  app: string;
  ref: string;
  /** The version being deployed: the tag of a copy when the source has none. */
  version: string;
  /** Copy an image from another registry into registry.fly.io/<app> first. */
  push?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface DeployImage {
  ref: string;
  digest: string;
  /** The labels Fly's answer carried (`app.image { config }`); absent when it came from elsewhere. */
  labels?: Record<string, string>;
  /** Set when `--push` copied it. */
  copiedFrom?: string;
}

/** Docker tags cannot hold `+`: build metadata travels as `_` (see versions/recognize.ts). */
function tagFor(version: string): string {
  return version.replace(/\+/g, "_");
}

export async function resolveDeployImage(
  fly: Pick<FlyClient, "resolveImage">,
  registry: Pick<RegistryClient, "resolve" | "copyImage"> | null | undefined,
  input: DeployImageInput,
): Promise<DeployImage> {
  const source = parseRegistryReference(input.ref);
  const call = input.signal ? { signal: input.signal } : {};
  const external = !isFlyRegistry(source);
  if (external && input.push) return copyToFly(fly, registry, input, source.tag);

  let flyError: SemflyError | null = null;
  const image = await fly.resolveImage(input.app, input.ref, call).catch((error: unknown) => {
    if (!isSemflyError(error) || error.code === "ABORTED") throw error;
    flyError = error;
    return null;
  });
  if (image) return { ref: image.ref, digest: image.digest, labels: image.labels };
  const notFound = () =>
    inputError(
      "IMAGE_NOT_FOUND",
      `Fly has no image ${quote(input.ref)} for ${input.app}.`,
      "Push it first, e.g. `fly deploy --build-only --push --image-label <version>`.",
    );
  if (!registry) throw notFound();
  if (!external) {
    const found = await registry.resolve(input.ref, call);
    if (found.status === "found") return { ref: input.ref, digest: found.digest };
    throw notFound();
  }
  const anonymous = await registry.resolve(input.ref, { ...call, anonymous: true });
  const withCredentials =
    anonymous.status === "found" ? anonymous : await registry.resolve(input.ref, call);
  const flyTarget = `${FLY_REGISTRY_HOST}/${input.app}:${tagFor(source.tag ?? input.version)}`;
  const pushHint = `Push it to ${FLY_REGISTRY_HOST}/${input.app}: \`semfly deploy ${input.version} --image ${input.ref} --push\` copies it there (as \`fly deploy --local-only\` would push it).`;
  if (anonymous.status !== "found" && withCredentials.status === "found") {
    throw inputError(
      "PRIVATE_IMAGE",
      `${input.ref} is private to ${source.registry}: Fly machines cannot pull it (they get no credentials for other registries).`,
      pushHint,
    );
  }
  if (withCredentials.status === "missing") throw notFound();
  const said = flyError ? ` (${(flyError as SemflyError).message})` : "";
  throw inputError(
    "IMAGE_NOT_ACCESSIBLE",
    `Fly could not resolve ${input.ref}${said}, and ${source.registry} would not say whether it exists.`,
    `If it is private, log in to it (\`docker login ${source.registry}\`) and pass --push to copy it to ${flyTarget}.`,
  );
}

async function copyToFly(
  fly: Pick<FlyClient, "resolveImage">,
  registry: Pick<RegistryClient, "resolve" | "copyImage"> | null | undefined,
  input: DeployImageInput,
  tag: string | null,
): Promise<DeployImage> {
  if (!registry) {
    throw inputError(
      "REGISTRY_UNAVAILABLE",
      "--push needs the registry client.",
      "Run it from the semfly CLI.",
    );
  }
  const target = `${FLY_REGISTRY_HOST}/${input.app}:${tagFor(tag ?? input.version)}`;
  const call = input.signal ? { signal: input.signal } : {};
  const { digest } = await registry.copyImage(input.ref, target, call);
  // Fly's own view of the copy, when it has one; the registry's digest otherwise.
  const image = await fly.resolveImage(input.app, target, call).catch(() => null);
  return { ref: image?.ref ?? target, digest: image?.digest ?? digest, copiedFrom: input.ref };
}
