import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface TestCounts {
  passed: number;
  failed: number;
}

export async function writeCounts(file: string, counts: TestCounts): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(counts)}\n`);
}

export async function readCounts(file: string): Promise<TestCounts | null> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<TestCounts>;
    if (typeof parsed.passed === "number" && typeof parsed.failed === "number") {
      return { passed: parsed.passed, failed: parsed.failed };
    }
    return null;
  } catch {
    return null;
  }
}
