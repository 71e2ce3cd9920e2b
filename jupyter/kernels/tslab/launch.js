// Starts tslab for this repository's notebooks (kernel.json runs it with Jupyter's connection file).
// 1. The working directory becomes the repository root, whatever folder the notebook is in: tslab only
//    compiles .ts files under its cwd (so notebooks import "./src/..."), and the notebooks' relative
//    paths (checkpoints/, results/, data/) then mean the repository's own folders.
// 2. tslab 1.0.22 finds a compiled local module only as "<id>.js", so `import ... from "./lowrank"`
//    (a folder with index.ts) type-checks but fails at run time with "Cannot find module". We patch that
//    one lookup, as tslab's executor.js is loaded, to also try "<id>/index.js".
"use strict";
const fs = require("fs");
const Module = require("module");
const path = require("path");

const ROOT = path.resolve(__dirname, "..", "..", "..");
const TSLAB_DIST = path.join(ROOT, "node_modules", "tslab", "dist");

const LOOKUP = /if \(path_1\.default\.extname\(filename\) === ""\) \{\s*filename \+= "\.js";\s*\}/;
const FOLDER_AWARE =
  'if (path_1.default.extname(filename) === "") {' +
  ' filename = (!sideOutputs.has(filename + ".js") && sideOutputs.has(filename + "/index.js"))' +
  ' ? filename + "/index.js" : filename + ".js"; }';

/** tslab's executor.js source with folder imports resolved to index files; undefined if tslab changed. */
function patchExecutorSource(source) {
  return LOOKUP.test(source) ? source.replace(LOOKUP, FOLDER_AWARE) : undefined;
}

function start(connectionFile) {
  if (!connectionFile) {
    console.error("usage: node launch.js <connection_file> (Jupyter passes it; see kernel.json)");
    process.exit(2);
  }
  const absoluteConnectionFile = path.resolve(connectionFile);
  if (!fs.existsSync(path.join(TSLAB_DIST, "main.js"))) {
    console.error(`tslab is not installed under ${ROOT}/node_modules: run \`npm install\` there first.`);
    process.exit(1);
  }
  process.chdir(ROOT);
  // Node compiles modules under their real path (node_modules may be a symlink).
  const executorFile = fs.realpathSync(path.join(TSLAB_DIST, "executor.js"));
  const compile = Module.prototype._compile;
  let patched = false;
  Module.prototype._compile = function (content, filename) {
    if (filename === executorFile) {
      Module.prototype._compile = compile;
      const source = patchExecutorSource(content);
      if (source !== undefined) {
        content = source;
        patched = true;
      }
    }
    return compile.call(this, content, filename);
  };
  const tslab = require(path.join(TSLAB_DIST, "main.js"));
  Module.prototype._compile = compile;
  if (!patched) console.error("[lowrank] could not patch tslab: folder imports (./x → ./x/index.ts) may fail; import the file.");
  tslab.startKernel({ configPath: absoluteConnectionFile, enableFindLocal: false });
}

if (require.main === module) start(process.argv[2]);
module.exports = { patchExecutorSource, ROOT };
