#!/usr/bin/env bash
# The software bill of materials of this release of Kodverk: CycloneDX JSON of the production
# dependencies (exact versions and integrity hashes from package-lock.json), written to
# dist/sbom/kodverk-<version>.cdx.json. Run it for every release (npm run sbom) and publish the file
# beside the image. Reads the lockfile and node_modules only: no network.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(node -p "require('./package.json').version")
out="dist/sbom/kodverk-${version}.cdx.json"
mkdir -p dist/sbom
npm sbom --sbom-format cyclonedx --sbom-type application --omit dev > "$out.tmp"
# npm names the root component after the folder it runs in; the release is Kodverk's
node -e "
const fs = require('fs');
const bom = JSON.parse(fs.readFileSync('$out.tmp', 'utf8'));
bom.metadata.component.name = 'kodverk';
fs.writeFileSync('$out', JSON.stringify(bom, null, 2) + '\n');
console.log('$out: ' + bom.components.length + ' components, CycloneDX ' + bom.specVersion);
"
rm "$out.tmp"
