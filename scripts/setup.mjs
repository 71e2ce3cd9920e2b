#!/usr/bin/env node
// `npm run setup`: install the dependencies so that the native TensorFlow backend works even where
// tfjs-node's download host is unreachable. See environment.md and shared notes on tfjs-node offline.
//
// 1. A tensorflow-cpu wheel found (TF_WHEEL, or a known folder) -> build a libtensorflow-style
//    tarball from it once (cached), serve it on loopback, and let tfjs-node's own install script
//    fetch it and compile its addon from source.
// 2. No wheel -> plain `npm ci`: with internet tfjs-node downloads as usual; without, the optional
//    native package is dropped and the project runs on wasm.
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync } from "node:fs";
import { createServer } from "node:http";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const LIBTF_VERSION = "2.9.1"; // what tfjs-node 4.22.0's install.js asks for
const TARBALL = `libtensorflow-cpu-linux-x86_64-${LIBTF_VERSION}.tar.gz`;
const cacheDir = process.env.LOWRANK_CACHE_DIR ?? join(homedir(), ".cache", "lowrank-notebooks");
const WHEEL_DIRS = [cacheDir, join(homedir(), "Downloads"), "/opt/pypi/files", join(root, ".cache")];

const log = (msg) => console.log(`[setup] ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${r.status}`);
}

function findWheel() {
  const fromEnv = process.env.TF_WHEEL;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TF_WHEEL=${fromEnv} does not exist. Point it at a tensorflow_cpu-*.whl file, or unset it.`);
    return fromEnv;
  }
  const found = [];
  for (const dir of WHEEL_DIRS) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      if (/^tensorflow(_cpu)?-\d.*-manylinux.*x86_64\.whl$/.test(f)) found.push(join(dir, f));
    }
  }
  found.sort((a, b) => basename(b).localeCompare(basename(a), undefined, { numeric: true }));
  return found[0];
}

function buildTarball(wheel) {
  const out = join(cacheDir, TARBALL);
  if (existsSync(out)) return out;
  log(`building ${TARBALL} from ${basename(wheel)} (once; cached in ${cacheDir})`);
  mkdirSync(cacheDir, { recursive: true });
  const work = join(tmpdir(), `libtf-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const members = [
    "tensorflow/libtensorflow_cc.so.2",
    "tensorflow/libtensorflow_framework.so.2",
    "tensorflow/include/tensorflow/c/*",
    "tensorflow/include/tensorflow/core/platform/ctstring*",
    "tensorflow/include/tsl/platform/ctstring*",
    "tensorflow/include/xla/tsl/c/*",
  ];
  run("unzip", ["-q", "-o", wheel, ...members, "-d", join(work, "wheel")]);
  const stage = join(work, "stage");
  mkdirSync(join(stage, "lib"), { recursive: true });
  renameSync(join(work, "wheel/tensorflow/include"), join(stage, "include"));
  for (const lib of ["libtensorflow_cc.so.2", "libtensorflow_framework.so.2"]) {
    renameSync(join(work, "wheel/tensorflow", lib), join(stage, "lib", lib));
    run("strip", ["--strip-unneeded", join(stage, "lib", lib)]);
  }
  // binding.gyp links -ltensorflow -ltensorflow_framework; install.js looks for the .2.9.1 names.
  const links = {
    "libtensorflow.so": "libtensorflow_cc.so.2",
    "libtensorflow.so.2": "libtensorflow_cc.so.2",
    [`libtensorflow.so.${LIBTF_VERSION}`]: "libtensorflow_cc.so.2",
    "libtensorflow_framework.so": "libtensorflow_framework.so.2",
    [`libtensorflow_framework.so.${LIBTF_VERSION}`]: "libtensorflow_framework.so.2",
  };
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(stage, "lib", name));
  const tmpOut = `${out}.tmp-${process.pid}`;
  run("tar", ["-czf", tmpOut, "-C", stage, "include", "lib"]);
  renameSync(tmpOut, out); // atomic: a killed build never leaves a half tarball behind
  rmSync(work, { recursive: true, force: true });
  log(`tarball ready: ${out} (${(statSync(out).size / 1e6).toFixed(0)} MB)`);
  return out;
}

function serveFile(file) {
  return new Promise((resolvePort) => {
    const server = createServer((req, res) => {
      if (!req.url || !req.url.endsWith(basename(file))) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-length": statSync(file).size, "content-type": "application/gzip" });
      createReadStream(file).pipe(res);
    });
    server.listen(0, "127.0.0.1", () => resolvePort({ server, port: server.address().port }));
  });
}

// Async on purpose: the loopback server in this same process must keep answering during the install.
function npmInstall(env) {
  const cmd = existsSync(join(root, "package-lock.json")) ? "ci" : "install";
  return new Promise((resolveRun, reject) => {
    const child = spawn("npm", [cmd, "--no-audit", "--no-fund"], { stdio: "inherit", cwd: root, env: { ...process.env, ...env } });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolveRun() : reject(new Error(`npm ${cmd} failed with exit code ${code}`))));
  });
}

function reportBackend() {
  const r = spawnSync(process.execPath, ["-e", "require('tfjs-node-native'); console.log('ok')"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" },
  });
  if (r.status === 0 && r.stdout.includes("ok")) {
    log("native backend installed: @tensorflow/tfjs-node ('tensorflow')");
    return true;
  }
  log("native backend NOT installed: the project will run on the wasm backend (slower).");
  log("To get it: set TF_WHEEL to a tensorflow-cpu manylinux x86_64 wheel, or run with internet access, then `npm run setup` again.");
  return false;
}

// Debian packages the notebooks, plot export and tests need. Installed only where apt-get works
// without a password (root, e.g. CI); elsewhere the exact command is printed.
const SYSTEM_PACKAGES = {
  jupyter: ["jupyter-notebook", "jupyter-nbconvert", "jupyter-client", "jupyter-nbformat"],
  chromium: ["chromium", "fonts-dejavu-core"],
};

function hasCommand(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function ensureSystemPackages() {
  if (process.env.LOWRANK_SYSTEM_PACKAGES === "0") return;
  const missing = Object.entries(SYSTEM_PACKAGES)
    .filter(([cmd]) => !hasCommand(cmd) && !existsSync(`/usr/bin/${cmd}`))
    .flatMap(([, pkgs]) => pkgs);
  if (missing.length === 0) return;
  const installCmd = `apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!hasCommand("apt-get") || !isRoot) {
    log(`missing system packages for notebooks/plot export: ${missing.join(", ")}`);
    log(`install them with: sudo apt-get update && sudo ${installCmd}   (or pip: see environment.md)`);
    return;
  }
  log(`installing Debian packages: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env });
  run("sh", ["-c", installCmd], { env });
}

async function main() {
  ensureSystemPackages();
  let wheel;
  if (process.env.LOWRANK_SKIP_NATIVE === "1") log("LOWRANK_SKIP_NATIVE=1: not building the native backend");
  else if (process.platform === "linux" && process.arch === "x64") wheel = findWheel();
  if (wheel) {
    const tarball = buildTarball(wheel);
    const { server, port } = await serveFile(tarball);
    log(`serving ${basename(tarball)} on 127.0.0.1:${port} for tfjs-node's install script`);
    try {
      await npmInstall({
        TFJS_NODE_BASE_URI: `http://127.0.0.1:${port}/libtensorflow-`,
        npm_config_build_from_source: "@tensorflow/tfjs-node",
        npm_config_foreground_scripts: "true",
      });
    } finally {
      server.close();
    }
  } else {
    if (process.env.LOWRANK_SKIP_NATIVE !== "1") log("no tensorflow-cpu wheel found (TF_WHEEL unset): installing normally");
    // Skipping: point the native install at a closed loopback port so it fails at once and npm drops
    // the optional package (omitting optional deps would also drop esbuild's platform binary).
    await npmInstall(process.env.LOWRANK_SKIP_NATIVE === "1" ? { TFJS_NODE_BASE_URI: "http://127.0.0.1:9/libtensorflow-" } : {});
  }
  const native = reportBackend();
  if (process.env.LOWRANK_REQUIRE_NATIVE === "1" && !native) {
    console.error("[setup] LOWRANK_REQUIRE_NATIVE=1 but the native backend did not install.");
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(`[setup] ${err.message}`);
  process.exit(1);
});
