/**
 * Cleanup that runs however the process ends: normally, on an error, or on SIGINT/SIGTERM/SIGHUP.
 * Tasks run newest first, each once.
 */
type Task = () => Promise<void> | void;

const tasks: Task[] = [];
let installed = false;
let running: Promise<void> | null = null;

export function onCleanup(task: Task): void {
  tasks.push(task);
  install();
}

export function runCleanup(): Promise<void> {
  running ??= (async () => {
    while (tasks.length > 0) {
      const task = tasks.pop()!;
      try {
        await task();
      } catch (error) {
        console.error("[cleanup]", error);
      }
    }
    running = null;
  })();
  return running;
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      console.error(`[cleanup] ${signal}: stopping code-server and Chromium`);
      void runCleanup().finally(() => process.exit(130));
    });
  }
}
