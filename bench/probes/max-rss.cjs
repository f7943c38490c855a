// Preloaded with `node --require` into a process whose peak memory we want: at exit it writes the
// process's peak resident set size (getrusage ru_maxrss, in KB) to $SEMFLY_BENCH_RSS_FILE. Needs nothing
// installed (no /usr/bin/time), and reads the kernel's own high-water mark rather than polling for it.
const { writeFileSync } = require("node:fs");

const { SEMFLY_BENCH_RSS_FILE: file } = process.env;
if (file) {
  process.on("exit", () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS));
  });
}
