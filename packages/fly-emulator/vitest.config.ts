import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "fly-emulator", include: ["test/**/*.test.ts"], testTimeout: 30_000 },
});
