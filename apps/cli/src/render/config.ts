import type { VersionConfig } from "@semfly/core";

/** The JSON of `semfly config`: which version and release, and the fly.toml as JSON under `config`. */
export function configJson(config: VersionConfig) {
  return {
    app: config.app,
    version: config.version,
    key: config.key,
    digest: config.digest,
    release: config.release,
    config: config.definition,
  };
}

/** fly.toml text with one comment naming where it came from, so the output can be saved as a fly.toml. */
export function configText(config: VersionConfig, toml: string): string {
  const name = config.version ?? config.key;
  return `# fly.toml of ${config.app} ${name}, as recorded with release v${config.release}\n${toml}`;
}
