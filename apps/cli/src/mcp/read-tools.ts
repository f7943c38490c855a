import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { diffJson, diffText } from "../render/diff.js";
import { statusJson, statusText } from "../render/status.js";
import { rollbackableNotes, versionsJson, versionsTable } from "../render/versions.js";
import { loadMarkers } from "../rollbackable-markers.js";
import { loadHistory, type McpContext } from "./context.js";
import { guarded, toolResult } from "./results.js";
import { appInput, diffInput, showConfigInput } from "./schemas.js";
import { TOOL_TEXT } from "./text.js";

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, openWorldHint: true } as const;

export function registerReadTools(server: McpServer, context: McpContext): void {
  server.registerTool(
    "list_versions",
    {
      title: "List versions",
      description:
        "The app's versions, highest semver first, with their status (live, previous, superseded, rolled-back-from, failed, in-progress), Fly releases, image digest, machine count, and whether each can still be restored (rollbackable: restorable, image-gone, unknown, no-digest, not-checked, with when it was checked). As `semfly versions --json`.",
      inputSchema: appInput,
      annotations: READ_ONLY,
    },
    guarded(context, async ({ app }, signal) => {
      const connection = await context.connect(app);
      const history = await loadHistory(connection, signal);
      const markers = await loadMarkers(connection, history, { now: context.now(), signal });
      const versions = versionsJson(history, markers);
      const live = history.live?.version ?? history.live?.key ?? "none";
      return toolResult(
        { app: history.app, versions },
        `${history.app}: ${versions.length} version${versions.length === 1 ? "" : "s"}, live ${history.drift ? "mixed (machines disagree)" : live}.\n\n${[versionsTable(history, TOOL_TEXT, context.now(), markers), ...rollbackableNotes(history, markers)].join("\n")}`,
      );
    }),
  );

  server.registerTool(
    "status",
    {
      title: "Status and drift",
      description:
        "Which version each machine runs, and drift: the groups of machines that run something other than the live version. As `semfly status --json`, plus driftGroups.",
      inputSchema: appInput,
      annotations: READ_ONLY,
    },
    guarded(context, async ({ app }, signal) => {
      const history = await loadHistory(await context.connect(app), signal);
      return toolResult(
        { ...statusJson(history), driftGroups: history.driftGroups },
        statusText(history, TOOL_TEXT),
      );
    }),
  );

  server.registerTool(
    "diff_versions",
    {
      title: "Compare two versions",
      description:
        "Image digests, OCI labels (commit range), machine config differences and the Fly releases between versions a and b (b defaults to the live version). As `semfly diff --json`.",
      inputSchema: diffInput,
      annotations: READ_ONLY,
    },
    guarded(context, async ({ app, a, b }, signal) => {
      const connection = await context.connect(app);
      const diff = await context.core.loadVersionDiff(connection.client, connection.app, {
        a,
        b,
        history: await loadHistory(connection, signal),
        signal,
      });
      return toolResult(diffJson(diff), diffText(diff, TOOL_TEXT, context.now()));
    }),
  );

  server.registerTool(
    "show_config",
    {
      title: "Show a version's machine config",
      description:
        "The machine config that ran a version, read from the machines' own config history (the newest config of an app machine that ran it), with the image's OCI labels. Null when no machine history holds that version any more.",
      inputSchema: showConfigInput,
      annotations: READ_ONLY,
    },
    guarded(context, async ({ app, version }, signal) => {
      const connection = await context.connect(app);
      const { core, client } = connection;
      const history = await loadHistory(connection, signal);
      const entry = core.lookupVersion(history, version);
      const [configs, labels] = await Promise.all([
        core.findVersionConfigs(client, history, entry, entry, signal),
        core.registryLabels(client, history.app, entry, signal),
      ]);
      const name = entry.version ?? entry.key;
      return toolResult(
        {
          app: history.app,
          version: entry.version,
          key: entry.key,
          digest: entry.digest,
          imageRef: entry.imageRef,
          live: entry.live,
          source: configs.a ? "machine-version-history" : null,
          config: configs.a,
          labels,
        },
        configs.a
          ? `The machine config that ran ${name} on ${history.app}:\n${JSON.stringify(configs.a, null, 2)}`
          : `No machine of ${history.app} still has a config that ran ${name} in its history.`,
      );
    }),
  );
}
