import { imagesNeedingLabels, type LabelRequest } from "../versions/identify.js";
import type { FlyMachine, FlyRelease } from "../versions/types.js";
import { type ImageLabelSource, LABEL_BATCH_SIZE } from "./image-labels.js";
import type { CachedLabels, ReleaseCache } from "./release-cache.js";

/**
 * Finds the labels of every image whose version only its labels can tell, while the history pages in:
 * asks the source in batches as pages arrive (so a cold load pays no extra round trip per page), never asks
 * twice for a digest, and keeps every answer in the cache for good.
 */
export class ImageLabelLoader {
  private readonly known = new Map<string, Record<string, string>>();
  /** Digests whose labels are known, cached from any source, or asked of the source already. */
  private readonly settled = new Set<string>();
  private readonly queue: LabelRequest[] = [];
  private readonly inFlight: Promise<void>[] = [];
  private readonly answered: CachedLabels = {};
  /** The first failed lookup (kept, so a failure mid-paging is never an unhandled rejection). */
  private failure: unknown;
  private failedImages = 0;

  constructor(
    private readonly app: string,
    private readonly source: ImageLabelSource,
    private readonly options: {
      cache?: ReleaseCache | undefined;
      endpoint: string;
      signal?: AbortSignal | undefined;
    },
  ) {}

  async start(): Promise<void> {
    const { cache, endpoint } = this.options;
    const cached =
      (cache?.readLabels ? await cache.readLabels(endpoint).catch(() => null) : null) ?? {};
    for (const [digest, entry] of Object.entries(cached)) {
      // An empty answer from another source is not this source's answer: ask it too.
      if (Object.keys(entry.labels).length > 0 || entry.source === this.source.name) {
        this.known.set(digest, entry.labels);
        this.settled.add(digest);
      }
    }
  }

  /** The machines arrived: the images they run come with their labels, so none of those is asked about. */
  machinesArrived(machines: readonly FlyMachine[]): void {
    for (const digest of labelledByMachines(machines)) this.settled.add(digest);
  }

  /**
   * A page of releases arrived: queue its unversioned digests, and send them once a batch is full or once a
   * page brings no new ones (older pages are mostly pruned images Fly has no digest for), so the lookup
   * overlaps the paging instead of following it.
   */
  offer(releases: readonly FlyRelease[]): void {
    const added = this.enqueue(imagesNeedingLabels(releases, this.settled));
    while (this.queue.length >= LABEL_BATCH_SIZE) this.send(this.queue.splice(0, LABEL_BATCH_SIZE));
    if (added === 0 && this.queue.length > 0) this.send(this.queue.splice(0));
  }

  /** Every release and machine is in: ask for what is left, wait, keep the answers. */
  async finish(
    releases: readonly FlyRelease[],
    machines: readonly FlyMachine[] | null,
  ): Promise<{ labelsByDigest: Record<string, Record<string, string>>; warning: string | null }> {
    const labelledByMachine = new Set<string>();
    for (const machine of machines ?? []) {
      const digest = machine.imageRef?.digest;
      if (digest && Object.keys(machine.imageRef?.labels ?? {}).length > 0)
        labelledByMachine.add(digest);
    }
    // The whole history may show that a digest queued from one page has a version after all.
    const unversioned = new Set(imagesNeedingLabels(releases, new Set()).map((r) => r.digest));
    this.enqueue(imagesNeedingLabels(releases, this.settled));
    const left = this.queue
      .splice(0)
      .filter((r) => unversioned.has(r.digest) && !labelledByMachine.has(r.digest));
    for (let i = 0; i < left.length; i += LABEL_BATCH_SIZE) {
      this.send(left.slice(i, i + LABEL_BATCH_SIZE));
    }
    await Promise.all(this.inFlight);
    // A command that ends (Ctrl-C, another failure) stops here like any request; any other failure only
    // leaves those images unversioned this time: the history is still worth showing, and nothing is cached.
    if (this.failure !== undefined && this.options.signal?.aborted) throw this.failure;
    const { cache, endpoint } = this.options;
    if (cache?.writeLabels && Object.keys(this.answered).length > 0) {
      await cache.writeLabels(endpoint, this.answered).catch(() => {});
    }
    const warning =
      this.failure === undefined
        ? null
        : `Could not read the labels of ${this.failedImages} image${this.failedImages === 1 ? "" : "s"} (${describe(this.failure)}); their versions may show as unversioned.`;
    return { labelsByDigest: Object.fromEntries(this.known), warning };
  }

  private enqueue(requests: LabelRequest[]): number {
    for (const request of requests) {
      this.settled.add(request.digest);
      this.queue.push(request);
    }
    return requests.length;
  }

  private send(batch: LabelRequest[]): void {
    if (batch.length === 0) return;
    this.inFlight.push(
      this.source.lookup(this.app, batch, { signal: this.options.signal }).then(
        (found) => {
          for (const [digest, labels] of found) {
            this.known.set(digest, labels);
            this.answered[digest] = { labels, source: this.source.name };
          }
        },
        (error: unknown) => {
          this.failure ??= error;
          this.failedImages += batch.length;
        },
      ),
    );
  }
}

function labelledByMachines(machines: readonly FlyMachine[]): Set<string> {
  const digests = new Set<string>();
  for (const machine of machines) {
    const digest = machine.imageRef?.digest;
    if (digest && Object.keys(machine.imageRef?.labels ?? {}).length > 0) digests.add(digest);
  }
  return digests;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
