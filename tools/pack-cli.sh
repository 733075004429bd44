#!/usr/bin/env bash
# Builds the `fdt` CLI as installable tarballs in dist-pack/: the CLI and the two workspace
# packages it needs (@fdt/agent, @fdt/protocol), which are not published to a registry.
# Install them together:  npm install -g dist-pack/fdt-*.tgz
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b apps/cli
rm -rf dist-pack && mkdir -p dist-pack
npm pack --silent --pack-destination dist-pack -w @fdt/protocol -w @fdt/agent -w @fdt/cli >/dev/null
ls dist-pack
