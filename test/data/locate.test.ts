import { test } from "node:test";
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { repoRoot, resolveCifar10Dir } from "../../src/data/locate";

const REPO = resolve(__dirname, "../..");

function withEnv<T>(value: string | undefined, run: () => T): T {
  const saved = process.env.CIFAR10_DIR;
  if (value === undefined) delete process.env.CIFAR10_DIR;
  else process.env.CIFAR10_DIR = value;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env.CIFAR10_DIR;
    else process.env.CIFAR10_DIR = saved;
  }
}

test("the repository root is found from the module's folder", () => {
  assert.equal(repoRoot(), REPO);
});

test("dir option beats CIFAR10_DIR, which beats <repo>/data/cifar-10-batches-bin", () => {
  withEnv("/env/cifar", () => assert.equal(resolveCifar10Dir("relative/dir"), resolve("relative/dir")));
  withEnv("/env/cifar", () => assert.equal(resolveCifar10Dir(), "/env/cifar"));
  withEnv(undefined, () => assert.equal(resolveCifar10Dir(), join(REPO, "data", "cifar-10-batches-bin")));
  withEnv("  ", () => assert.equal(resolveCifar10Dir(), join(REPO, "data", "cifar-10-batches-bin")));
});

test("an empty dir option is refused", () => {
  assert.throws(() => resolveCifar10Dir(""), /Option `dir` is empty/);
});
