/**
 * Reading `access_token` out of flyctl's config.yml. A module of its own, loaded only when the token comes
 * from the file, so that a token in the environment never pays for a YAML parser. The import below is
 * static on purpose: a bundler that splits chunks turns `await import("yaml")` of the CommonJS `yaml`
 * into a module whose only export is `default`, while a static named import keeps `parse` reachable.
 */
import { parse as parseYaml } from "yaml";
import { inputError } from "../errors.js";

/** The token in a config.yml's text, or undefined when the file holds none. */
export function tokenFromConfigYaml(text: string, file: string): string | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    // The parser's message quotes the offending line, which may hold the token: name the file only.
    throw inputError(
      "FLY_CONFIG_INVALID",
      `${file} is not valid YAML`,
      "Fix or delete the file and run `fly auth login`, or set FLY_API_TOKEN.",
    );
  }
  if (doc === null || doc === undefined) return undefined;
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw inputError(
      "FLY_CONFIG_INVALID",
      `${file} is not a YAML mapping`,
      "Run `fly auth login` to rewrite it.",
    );
  }
  const token = (doc as Record<string, unknown>).access_token;
  if (token === undefined || token === null || token === "") return undefined;
  if (typeof token !== "string") {
    throw inputError(
      "FLY_CONFIG_INVALID",
      `access_token in ${file} is not a string`,
      "Run `fly auth login`.",
    );
  }
  const trimmed = token.trim();
  return trimmed === "" ? undefined : trimmed;
}
