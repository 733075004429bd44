#!/usr/bin/env bash
# Scaffolds a workspace project the way every other one is laid out.
#   tools/new-project.sh libs/server/billing @fdt/billing '"scope:server", "type:feature"'
# Then add its references to tsconfig.json files that use it, and to the root tsconfig.json.
set -euo pipefail
dir=$1 name=$2 tags=$3
cd "$(dirname "$0")/.."
mkdir -p "$dir/src"
cat > "$dir/package.json" <<EOT
{
  "name": "$name",
  "version": "0.0.0",
  "private": true,
  "type": "module",
  "exports": {
    ".": { "@fdt/source": "./src/index.ts", "types": "./dist/index.d.ts", "default": "./dist/index.js" }
  },
  "scripts": {
    "build": "tsc -b",
    "test": "NODE_OPTIONS=--experimental-vm-modules jest --selectProjects unit --passWithNoTests",
    "int": "NODE_OPTIONS=--experimental-vm-modules jest --selectProjects int --passWithNoTests --runInBand",
    "lint": "eslint src"
  },
  "nx": { "tags": [$tags] }
}
EOT
depth=$(echo "$dir" | tr -cd '/' | wc -c)
up=$(printf '../%.0s' $(seq 0 "$depth"))
printf "import { projectConfig } from '%sjest.preset.mjs';\n\nexport default projectConfig(import.meta.dirname);\n" "$up" > "$dir/jest.config.mjs"
printf '{\n  "extends": "%stsconfig.base.json",\n  "compilerOptions": { "rootDir": "src", "outDir": "dist", "tsBuildInfoFile": "dist/tsconfig.tsbuildinfo" },\n  "include": ["src/**/*.ts"],\n  "exclude": ["src/**/*.spec.ts", "src/**/*.int-spec.ts"],\n  "references": []\n}\n' "$up" > "$dir/tsconfig.json"
echo "created $dir ($name)"
