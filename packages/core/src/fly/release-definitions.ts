/** The app config each release recorded (GraphQL `Release.config { definition }`), for a few releases at once. */
import * as v from "valibot";
import type { CallOptions, FlyContext } from "./context.js";
import { appNotFoundError, graphqlQuery } from "./graphql-request.js";

export function releaseDefinitionsQuery(count: number): string {
  const variables = Array.from({ length: count }, (_, i) => `, $v${i}: Int!`).join("");
  const aliases = Array.from(
    { length: count },
    (_, i) => `
    r${i}: release(version: $v${i}) {
      version
      config { definition }
    }`,
  ).join("");
  return `query SemflyReleaseDefinitions($appName: String!${variables}) {
  app(name: $appName) {${aliases}
  }
}`;
}

const ReleaseDefinitionSchema = v.looseObject({
  version: v.number(),
  config: v.nullish(v.looseObject({ definition: v.unknown() })),
});

/** Release number → its recorded config (null when Fly has none). Unknown numbers are left out. */
export async function releaseDefinitions(
  ctx: FlyContext,
  app: string,
  versions: readonly number[],
  options?: CallOptions,
): Promise<Map<number, unknown>> {
  const found = new Map<number, unknown>();
  if (versions.length === 0) return found;
  const operation = "read release configs";
  const variables: Record<string, unknown> = { appName: app };
  const entries: Record<string, v.GenericSchema> = {};
  versions.forEach((version, i) => {
    variables[`v${i}`] = version;
    entries[`r${i}`] = v.nullish(ReleaseDefinitionSchema);
  });
  const data = await graphqlQuery(
    ctx,
    {
      operation,
      app,
      document: releaseDefinitionsQuery(versions.length),
      variables,
      data: v.looseObject({ app: v.nullable(v.looseObject(entries)) }),
      tolerate: (error) =>
        error.extensions?.code === "NOT_FOUND" &&
        typeof error.path?.[1] === "string" &&
        /^r\d+$/.test(error.path[1]),
    },
    options,
  );
  if (!data.app) throw appNotFoundError(operation, app, undefined);
  const app_ = data.app as Record<
    string,
    v.InferOutput<typeof ReleaseDefinitionSchema> | null | undefined
  >;
  versions.forEach((_, i) => {
    const release = app_[`r${i}`];
    if (release) found.set(release.version, release.config?.definition ?? null);
  });
  return found;
}
