#!/usr/bin/env bash
# Integration tests: the mocha suites in test/integration run inside a real VS Code (code-server here,
# through test/harness/launcher.ts) against the Fly emulator. Writes .test-results/vscode-integration.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-test-tools.sh
# The extension bundles core; the suites start the emulator: turbo builds both first (^build).
(cd ../.. && TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --filter=semfly-vscode --output-logs=errors-only)
node esbuild.mjs --tests
exec node test-output/harness/run-integration.mjs
