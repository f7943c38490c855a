import { describe, expect, it } from "vitest";
import { palette } from "../../src/render/color.js";
import { fitWidths, renderTable, truncate } from "../../src/render/table.js";

describe("tables", () => {
  const columns = [{ header: "ID" }, { header: "DESCRIPTION", shrink: 1 }, { header: "USER" }];
  const rows = [["v1", "Scaled the app to four machines in two regions", "bob@acme.test"]];

  it("pads columns and trims trailing space", () => {
    expect(renderTable(columns, [["v1", "Deploy", "bob"]], { width: Infinity })).toBe(
      "ID  DESCRIPTION  USER\nv1  Deploy       bob",
    );
  });

  it("takes the excess from the shrinkable column and marks the cut with …", () => {
    const table = renderTable(columns, rows, { width: 40 });
    expect(table).toBe("ID  DESCRIPTION            USER\nv1  Scaled the app to fo…  bob@acme.test");
    for (const line of table.split("\n")) expect(line.length).toBeLessThanOrEqual(40);
  });

  it("moves on to the widest other column when one is not enough", () => {
    expect(fitWidths([10, 30, 20], 20, 2, [0, 1, 0])).toEqual([10, 3, 3]);
  });

  it("keeps colour out of the width", () => {
    const colors = palette(true);
    const table = renderTable(
      [{ header: "A" }, { header: "B" }],
      [[{ text: "ok", style: "green" }, "x"]],
      { width: Infinity, palette: colors },
    );
    expect(table).toBe("\u001b[1mA \u001b[22m  \u001b[1mB\u001b[22m\n\u001b[32mok\u001b[39m  x");
  });

  it("truncates by characters", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
  });
});
