import { plain } from "../render/color.js";
import type { Terminal } from "../render/terminal.js";

/** Tool text is read by a model or shown in a client: no colours, no truncation. */
export const TOOL_TEXT: Terminal = {
  width: Number.POSITIVE_INFINITY,
  colors: plain,
  isTTY: false,
};
