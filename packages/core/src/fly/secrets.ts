/** An app's secrets as GraphQL `App.secrets { name digest createdAt }` lists them: names and digests, never values. */
import * as v from "valibot";
import type { CallOptions, FlyContext } from "./context.js";
import { APP_SECRETS_QUERY } from "./graphql.js";
import { appNotFoundError, graphqlQuery } from "./graphql-request.js";

export interface FlySecret {
  name: string;
  /** Fly's digest of the value (schema: "The digest of the secret value"). */
  digest: string;
  /** RFC 3339: when this value was set. */
  createdAt: string;
}

const AppSecretsDataSchema = v.looseObject({
  app: v.nullable(
    v.looseObject({
      secrets: v.array(
        v.looseObject({ name: v.string(), digest: v.string(), createdAt: v.string() }),
      ),
    }),
  ),
});

export async function appSecrets(
  ctx: FlyContext,
  app: string,
  options?: CallOptions,
): Promise<FlySecret[]> {
  const operation = "list the app's secrets";
  const data = await graphqlQuery(
    ctx,
    {
      operation,
      app,
      document: APP_SECRETS_QUERY,
      variables: { appName: app },
      data: AppSecretsDataSchema,
    },
    options,
  );
  if (!data.app) throw appNotFoundError(operation, app, undefined);
  return data.app.secrets.map((s) => ({ name: s.name, digest: s.digest, createdAt: s.createdAt }));
}
