/**
 * The benches are TypeScript compiled to bench/dist (npx tsc -b at the repository root); each bench/<name>.cjs
 * runs dist/<name>.js through this, so that `node bench/<name>.cjs ...` stays the command.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

module.exports = function launch(name) {
  const compiled = path.join(__dirname, 'dist', `${name}.js`);
  if (!fs.existsSync(compiled)) {
    console.error(
      `${path.relative(process.cwd(), compiled)} is missing: build first with \`npx tsc -b\` at the repository root.`,
    );
    process.exit(2);
  }
  require(compiled);
};
