// The project brings its own Node (the `node` devDependency); this guard makes a
// wrong runtime fail loudly instead of half-working on the machine's older Node.
const major = Number(process.versions.node.split(".")[0]);
if (major !== 24) {
  console.error(
    `Tollgate needs Node.js 24 LTS; this is ${process.version}. Run through npm scripts (npm test, npm start).`,
  );
  process.exit(1);
}
console.log(`node ${process.version}`);
