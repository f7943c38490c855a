import type { VersionEntry, VersionHistory } from "@semfly/core";
import * as vscode from "vscode";
import type { VersionsModel } from "../model/versionsModel.js";
import { AppNode } from "../tree/nodes/appNode.js";
import { ParkedNode } from "../tree/nodes/parkedNode.js";
import { VersionNode } from "../tree/nodes/versionNode.js";

/** A version named without a tree node: `{ app, key }` (how tests and other extensions call). */
export interface VersionArg {
  app: string;
  key: string;
}

function isVersionArg(value: unknown): value is VersionArg {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as VersionArg).app === "string" &&
    typeof (value as VersionArg).key === "string"
  );
}

export interface ResolvedVersion {
  app: string;
  history: VersionHistory;
  entry: VersionEntry;
}

/**
 * The version a command was invoked on, from its tree node (a version, or one of its parked sets) or
 * `{ app, key }`, in the model's history.
 */
export function versionFrom(arg: unknown, model: VersionsModel): ResolvedVersion | undefined {
  const ref =
    arg instanceof VersionNode || arg instanceof ParkedNode
      ? { app: arg.app, key: arg.entry.key }
      : isVersionArg(arg)
        ? arg
        : undefined;
  if (!ref) return undefined;
  const history = model.history(ref.app);
  const entry = history?.versions.find((v) => v.key === ref.key);
  return history && entry ? { app: ref.app, history, entry } : undefined;
}

/** The app a command was invoked on; without one, the only app or the user's pick. */
export async function appFrom(arg: unknown, model: VersionsModel): Promise<string | undefined> {
  if (arg instanceof AppNode || arg instanceof VersionNode) return arg.app;
  if (typeof arg === "string") return arg;
  if (isVersionArg(arg)) return arg.app;
  const names = model.apps.map((state) => state.app.name);
  if (names.length <= 1) return names[0];
  return vscode.window.showQuickPick(names, { placeHolder: "Which Fly app?" });
}
