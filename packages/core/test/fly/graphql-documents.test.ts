import { flyGraphqlSubsetSdl } from "@semfly/fly-emulator";
import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { flyGraphqlDocuments } from "../../src/index.js";

describe("GraphQL documents", () => {
  const schema = buildSchema(flyGraphqlSubsetSdl);

  it("sends at least the release and image queries", () => {
    expect(flyGraphqlDocuments.map((d) => d.name).sort()).toEqual([
      "SemflyAppOrganization",
      "SemflyAppSecrets",
      "SemflyCurrentRelease",
      "SemflyCurrentReleaseConfig",
      "SemflyReleaseConfig",
      "SemflyReleaseDefinitions",
      "SemflyReleaseImageConfigs",
      "SemflyReleasesByVersion",
      "SemflyReleasesPage",
      "SemflyResolveImage",
    ]);
  });

  it.each(flyGraphqlDocuments.map((d) => [d.name, d.document] as const))(
    "%s validates against Fly's schema",
    (name, document) => {
      const ast = parse(document);
      expect(validate(schema, ast).map((e) => e.message)).toEqual([]);
      const operation = ast.definitions[0];
      expect(operation?.kind === "OperationDefinition" && operation.name?.value).toBe(name);
    },
  );

  it("reads each release's app config from Release.config { definition }, as flyctl records it", () => {
    for (const name of ["SemflyCurrentReleaseConfig", "SemflyReleaseConfig"]) {
      const document = flyGraphqlDocuments.find((d) => d.name === name)!.document;
      expect(document).toMatch(/config \{ definition \}/);
    }
  });

  it("reads metadata from releases, which only Release (not ReleaseUnprocessed) has", () => {
    const page = flyGraphqlDocuments.find((d) => d.name === "SemflyReleasesPage")!.document;
    expect(page).toMatch(/releases\(first: \$first, after: \$after\)/);
    expect(page).not.toMatch(/releasesUnprocessed/);
    expect(page).toMatch(/metadata/);
  });
});
