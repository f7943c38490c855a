#!/usr/bin/env bash
# End-to-end UI test: installs the packaged .vsix into code-server, drives the workbench with Chromium
# (Playwright), rolls back through the context menu and the modal, and saves media/screenshot.png.
# Writes .test-results/vscode-ui.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-test-tools.sh
(cd ../.. && TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --filter=semfly-vscode --output-logs=errors-only)
node esbuild.mjs --tests
pnpm run package
exec node test-output/harness/run-ui.mjs
