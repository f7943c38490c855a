import { type Palette, plain } from "./color.js";

/** A cell: its text, and optionally how to colour it once laid out (colour never counts towards width). */
export type Cell = string | { text: string; style?: keyof Omit<Palette, "enabled"> | undefined };

export interface Column {
  header: string;
  align?: "left" | "right";
  /** Columns that give up width first when the table is too wide (higher first; default 0). */
  shrink?: number;
}

export interface TableOptions {
  /** Total width available; Infinity never truncates. */
  width: number;
  palette?: Palette;
  /** Spaces between columns. */
  gap?: number;
}

const MIN_COLUMN = 3;

function textOf(cell: Cell): string {
  return (typeof cell === "string" ? cell : cell.text).replace(/\s+/g, " ");
}

function widthOf(text: string): number {
  return [...text].length;
}

export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return "…".slice(0, width);
  return `${chars.slice(0, width - 1).join("")}…`;
}

/**
 * Make the table fit: take the excess from the widest column (the most shrinkable first), then, if that
 * was not enough, from the next one. Never below a few characters; an impossible fit stays too wide.
 */
export function fitWidths(
  natural: number[],
  available: number,
  gap: number,
  shrink: number[] = [],
): number[] {
  const widths = [...natural];
  let excess = widths.reduce((a, b) => a + b, 0) + gap * Math.max(0, widths.length - 1) - available;
  const order = widths
    .map((_, i) => i)
    .sort((a, b) => (shrink[b] ?? 0) - (shrink[a] ?? 0) || widths[b]! - widths[a]! || a - b);
  for (const i of order) {
    if (excess <= 0) break;
    const take = Math.min(excess, Math.max(0, widths[i]! - MIN_COLUMN));
    widths[i] = widths[i]! - take;
    excess -= take;
  }
  return widths;
}

/** A plain-text table: header row, then rows; columns padded, the widest truncated with … to fit. */
export function renderTable(columns: Column[], rows: Cell[][], options: TableOptions): string {
  const colors = options.palette ?? plain;
  const gap = options.gap ?? 2;
  const natural = columns.map((column, i) =>
    Math.max(widthOf(column.header), ...rows.map((row) => widthOf(textOf(row[i] ?? "")))),
  );
  const widths = fitWidths(
    natural,
    options.width,
    gap,
    columns.map((c) => c.shrink ?? 0),
  );
  const line = (cells: Cell[], header: boolean) =>
    cells
      .map((cell, i) => {
        const width = widths[i]!;
        const text = truncate(textOf(cell), width);
        const pad = " ".repeat(Math.max(0, width - widthOf(text)));
        const padded = columns[i]?.align === "right" ? pad + text : text + pad;
        const style = typeof cell === "string" ? undefined : cell.style;
        if (header) return colors.bold(padded);
        return style ? colors[style](padded) : padded;
      })
      .join(" ".repeat(gap))
      .trimEnd();
  return [
    line(
      columns.map((c) => c.header),
      true,
    ),
    ...rows.map((row) => line(row, false)),
  ].join("\n");
}
