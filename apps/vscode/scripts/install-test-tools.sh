#!/usr/bin/env bash
# Installs what the extension's integration and UI tests need on a fresh Debian machine (root, Node 20):
# Debian's Chromium (driven by playwright-core), ripgrep and the Kerberos headers (code-server's build
# needs them), and code-server 4.100.3 (VS Code 1.100.3, the newest that runs on Node 20) installed with
# npm into <repo>/.cache/code-server. Idempotent: each step is skipped when its result is already there.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"
# @vscode/ripgrep's postinstall downloads rg unless this archive is already in its cache folder.
RIPGREP_CACHE_NAME="vscode-ripgrep-cache-1.15.11"
RIPGREP_ARCHIVE="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../../.." && pwd)"
cache_dir="${SEMFLY_CODE_SERVER_DIR:-$repo_root/.cache/code-server}"
code_server_bin="$cache_dir/node_modules/.bin/code-server"

log() { printf '[install-test-tools] %s\n' "$*"; }

missing_packages=()
command -v chromium >/dev/null 2>&1 || missing_packages+=(chromium)
command -v rg >/dev/null 2>&1 || missing_packages+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing_packages+=(libkrb5-dev)

if ((${#missing_packages[@]} > 0)); then
  log "apt-get install ${missing_packages[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y "${missing_packages[@]}"
else
  log "chromium, ripgrep and libkrb5-dev are present"
fi

installed_version=""
if [[ -f "$cache_dir/node_modules/code-server/package.json" ]]; then
  installed_version="$(node -p "require('$cache_dir/node_modules/code-server/package.json').version")"
fi

if [[ "$installed_version" == "$CODE_SERVER_VERSION" && -x "$code_server_bin" ]]; then
  log "code-server $CODE_SERVER_VERSION is present in $cache_dir"
  exit 0
fi

log "installing code-server $CODE_SERVER_VERSION into $cache_dir (about a minute)"
mkdir -p "$cache_dir"
tmp_dir="$(mktemp -d)"
trap 'rm -rf "$tmp_dir"' EXIT
mkdir -p "$tmp_dir/$RIPGREP_CACHE_NAME"
tar czf "$tmp_dir/$RIPGREP_CACHE_NAME/$RIPGREP_ARCHIVE" -C "$(dirname "$(command -v rg)")" rg

# A package.json of its own keeps npm from walking up into the pnpm workspace.
if [[ ! -f "$cache_dir/package.json" ]]; then
  printf '{ "name": "semfly-code-server-cache", "private": true }\n' >"$cache_dir/package.json"
fi

# unsafe_perm: the postinstall runs as root; yes: node-pty's postinstall runs `npx node-gyp`.
# Run from a pnpm script, the environment carries pnpm's npm_config_* (its user agent among them), and
# code-server's postinstall refuses a package manager it does not know: npm gets a clean slate.
(
  cd "$cache_dir"
  unset $(env | sed -n 's/^\(npm_config_[^=]*\)=.*/\1/p; s/^\(npm_package_[^=]*\)=.*/\1/p; s/^\(npm_lifecycle_[^=]*\)=.*/\1/p')
  TMPDIR="$tmp_dir" npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION"
)

XDG_CONFIG_HOME="$tmp_dir" XDG_DATA_HOME="$tmp_dir" "$code_server_bin" --version
log "done"
