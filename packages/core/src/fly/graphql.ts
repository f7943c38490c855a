/**
 * Every GraphQL document semfly sends to Fly, in one place so a test can validate them all against the
 * schema. Field choices follow flyctl's `gql/schema.graphql`:
 * - `releases` (not `releasesUnprocessed`) because only `Release` has `metadata`, where semfly keeps its notes.
 * - No page-size cap is documented for `releases(first:)`; semfly asks for 100 per page (see DEFAULT_PAGE_SIZE).
 */

import { releaseDefinitionsQuery } from "./release-definitions.js";

/** Release fields semfly reads; shared by the page and current-release queries. */
const RELEASE_FIELDS = `
      id
      version
      status
      stable
      reason
      description
      user { email }
      createdAt
      imageRef
      image { digest ref }
      metadata`;

/** Fly documents no maximum for `first`; 100 keeps a page well under any sane response size. */
export const DEFAULT_RELEASES_PAGE_SIZE = 100;

export const RELEASES_PAGE_QUERY = `query SemflyReleasesPage($appName: String!, $first: Int!, $after: String) {
  app(name: $appName) {
    releases(first: $first, after: $after) {
      nodes {${RELEASE_FIELDS}
      }
      pageInfo { endCursor hasNextPage }
      totalCount
    }
  }
}`;

export const CURRENT_RELEASE_QUERY = `query SemflyCurrentRelease($appName: String!) {
  app(name: $appName) {
    currentRelease {${RELEASE_FIELDS}
    }
  }
}`;

export const RESOLVE_IMAGE_QUERY = `query SemflyResolveImage($appName: String!, $ref: String!) {
  app(name: $appName) {
    image(ref: $ref) {
      ref
      digest
      registry
      repository
      tag
      config
    }
  }
}`;

/** What `releasesByVersion` reads of each release: everything, or only the image's digest and config. */
export type ReleaseSelection = "full" | "image-config";

const IMAGE_CONFIG_FIELDS = `
      id
      version
      image { digest config }`;

/**
 * Releases picked by number, in one request: one aliased `app.release(version:)` per number (the schema has
 * no list argument), plus `currentRelease` for the full selection. Aliases are `r0`, `r1`, …
 */
export function releasesByVersionQuery(count: number, selection: ReleaseSelection): string {
  const name = selection === "full" ? "SemflyReleasesByVersion" : "SemflyReleaseImageConfigs";
  const fields = selection === "full" ? RELEASE_FIELDS : IMAGE_CONFIG_FIELDS;
  const variables = Array.from({ length: count }, (_, i) => `, $v${i}: Int!`).join("");
  const aliases = Array.from(
    { length: count },
    (_, i) => `
    r${i}: release(version: $v${i}) {${fields}
    }`,
  ).join("");
  const current =
    selection === "full"
      ? `
    currentRelease {${RELEASE_FIELDS}
    }`
      : "";
  return `query ${name}($appName: String!${variables}) {
  app(name: $appName) {${current}${aliases}
  }
}`;
}

/**
 * The app config (fly.toml as JSON) a release recorded: `Release.config { definition }`. flyctl reads the
 * current release's back as the app config, so semfly's own release must carry a real one.
 */
export const CURRENT_RELEASE_CONFIG_QUERY = `query SemflyCurrentReleaseConfig($appName: String!) {
  app(name: $appName) {
    currentRelease {
      version
      config { definition }
    }
  }
}`;

export const RELEASE_CONFIG_QUERY = `query SemflyReleaseConfig($appName: String!, $version: Int!) {
  app(name: $appName) {
    release(version: $version) {
      version
      config { definition }
    }
  }
}`;

export interface FlyGraphqlDocument {
  name: string;
  document: string;
}

/** The organization an app belongs to: its Prometheus API is per organization. */
export const APP_ORGANIZATION_QUERY = `query SemflyAppOrganization($appName: String!) {
  app(name: $appName) {
    organization { slug }
  }
}`;

/** Secret names and digests only: `Secret` has no value field, and semfly would not ask for one. */
export const APP_SECRETS_QUERY = `query SemflyAppSecrets($appName: String!) {
  app(name: $appName) {
    secrets { name digest createdAt }
  }
}`;

export const flyGraphqlDocuments: readonly FlyGraphqlDocument[] = [
  { name: "SemflyReleasesPage", document: RELEASES_PAGE_QUERY },
  { name: "SemflyCurrentRelease", document: CURRENT_RELEASE_QUERY },
  { name: "SemflyResolveImage", document: RESOLVE_IMAGE_QUERY },
  { name: "SemflyReleasesByVersion", document: releasesByVersionQuery(2, "full") },
  { name: "SemflyReleaseImageConfigs", document: releasesByVersionQuery(2, "image-config") },
  { name: "SemflyAppOrganization", document: APP_ORGANIZATION_QUERY },
  { name: "SemflyCurrentReleaseConfig", document: CURRENT_RELEASE_CONFIG_QUERY },
  { name: "SemflyReleaseConfig", document: RELEASE_CONFIG_QUERY },
  { name: "SemflyAppSecrets", document: APP_SECRETS_QUERY },
  { name: "SemflyReleaseDefinitions", document: releaseDefinitionsQuery(2) },
];
