import { describe, expect, it } from "vitest";
import { NodeContext } from "../../../../src/constants.js";
import { formatClock } from "../../../../src/tree/format.js";
import { AppNode } from "../../../../src/tree/nodes/appNode.js";
import type { MachineNode } from "../../../../src/tree/nodes/machineNode.js";
import { ParkedNode } from "../../../../src/tree/nodes/parkedNode.js";
import { UnmanagedNode } from "../../../../src/tree/nodes/unmanagedNode.js";
import { VersionNode } from "../../../../src/tree/nodes/versionNode.js";
import type { TreeNode } from "../../../../src/tree/treeItem.js";
import { digestFor, NOW } from "../../builders.js";
import { EXPIRED_AT, PARKED_UNTIL, parkedHistory } from "../../parkedWorld.js";

function appChildren(history = parkedHistory()): TreeNode[] {
  return new AppNode(
    {
      app: { name: "acme-web", sources: [{ kind: "setting" }] },
      load: { state: "loaded", history, loadedAt: NOW },
    },
    NOW,
  ).children();
}

const version = (label: string, history = parkedHistory()) =>
  appChildren(history).find(
    (n): n is VersionNode => n instanceof VersionNode && n.label === label,
  )!;
const parkedUnder = (node: TreeNode) =>
  node.children().filter((n): n is ParkedNode => n instanceof ParkedNode);
const tokens = (node: TreeNode) => node.item().contextValue.split(";");

describe("parked versions in the tree", () => {
  it("shows a parked set first under its version: its expiry on the clock, and its machine count", () => {
    const [set, ...rest] = version("3.1.11").children();
    expect(set).toBeInstanceOf(ParkedNode);
    expect(rest.map((n) => n.item().label)).toEqual(["Fly releases"]);
    const item = set!.item();
    expect(item.label).toBe(`parked until ${formatClock(PARKED_UNTIL, NOW)}`);
    expect(item.description).toBe("2 machines");
    expect(item.tooltip).toContain("Parked until: 2026-11-26 14:00 UTC · in 2 h");
    expect(item.tooltip).toContain(
      "Roll Back Instantly starts them again (one machine start, no redeploy); the machines of 3\\.2\\.0 are parked in exchange.",
    );
  });

  it("lists the parked machines under the set, each marked parked", () => {
    const [set] = parkedUnder(version("3.1.11"));
    const machines = set!.children() as MachineNode[];
    expect(machines.map((m) => m.machine.id).sort()).toEqual(["p1", "p2"]);
    expect(machines[0]!.item().description).toContain("parked");
    expect(machines[0]!.item().tooltip).toContain("takes no traffic until an instant rollback");
  });

  it("offers Roll Back Instantly on the version and its set, and opens the version so the set shows", () => {
    const row = version("3.1.11");
    expect(tokens(row)).toContain(NodeContext.canRollBackInstantly);
    expect(tokens(parkedUnder(row)[0]!)).toContain(NodeContext.canRollBackInstantly);
    expect(row.item().collapsible).toBe("expanded");
    expect(row.item().tooltip).toContain(
      `Parked: 2 machines until ${formatClock(PARKED_UNTIL, NOW)} (2026-11-26 14:00 UTC): Roll Back Instantly starts them`,
    );
  });

  it("shows an expired set as expired, without the instant action", () => {
    const row = version("3.0.0");
    const [set] = parkedUnder(row);
    expect(set!.item().label).toBe(`parked, expired ${formatClock(EXPIRED_AT, NOW)}`);
    expect(set!.item().description).toBe("1 machine · semfly gc destroys it");
    expect(tokens(set!)).toContain("expired");
    expect(tokens(set!)).not.toContain(NodeContext.canRollBackInstantly);
    expect(tokens(row)).not.toContain(NodeContext.canRollBackInstantly);
    expect(row.item().collapsible).toBe("collapsed");
  });

  it("never offers an instant rollback to the live version", () => {
    expect(tokens(version("3.2.0"))).not.toContain(NodeContext.canRollBackInstantly);
  });

  it("keeps parked machines out of Not managed, except a set no version runs", () => {
    const unmanaged = appChildren().find((n) => n instanceof UnmanagedNode)!;
    const ids = (unmanaged.children() as MachineNode[]).map((m) => m.machine.id).sort();
    expect(ids).toEqual(["p9", "u1"]);
    expect(unmanaged.item().description).toBe("2");
  });

  it("names the parked version from its park labels when the history knows it by digest only", () => {
    const history = parkedHistory();
    // The untagged build (v4) parked with the version its labels gave it.
    const untagged = history.versions.find((v) => v.version === null)!;
    const set = parkedUnder(
      new VersionNode(
        appChildren(history)[0]!,
        {
          ...history,
          unmanaged: [
            ...history.unmanaged,
            {
              machine: {
                ...history.unmanaged[0]!.machine,
                id: "p4",
                metadata: {
                  ...history.unmanaged[0]!.machine.metadata,
                  semfly_parked_set: "bg-untagged",
                  semfly_parked_version: "3.1.12",
                  semfly_parked_digest: untagged.digest!,
                },
              },
              reason: `parked until ${PARKED_UNTIL}`,
            },
          ],
        },
        untagged,
        NOW,
      ),
    );
    expect(untagged.digest).toBe(digestFor("deployment-01HZX"));
    expect(set[0]!.item().description).toBe("1 machine · parked as 3.1.12");
  });
});
