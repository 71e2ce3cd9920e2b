// `npm run data`: put CIFAR-10 (binary version) in data/cifar-10-batches-bin, or in CIFAR10_DIR when set.
// Does nothing but say so when the files are already there and check out.
import { Command } from "commander";
import { downloadCifar10 } from "../src/data/download";
import { CIFAR10_MD5, CIFAR10_URL } from "../src/data/format";

async function main(): Promise<void> {
  const program = new Command()
    .name("npm run data --")
    .description("Download, verify and extract CIFAR-10 (binary version).")
    .option("--data-dir <folder>", "parent folder: files go to <folder>/cifar-10-batches-bin (default: CIFAR10_DIR's parent, else data/)")
    .option("--dir <folder>", "the batches folder itself (overrides --data-dir)")
    .option("--url <url>", "archive to fetch", CIFAR10_URL)
    .option("--md5 <hex>", "expected MD5 of the archive", CIFAR10_MD5)
    .option("--force", "extract again even if the folder checks out", false)
    .option("--no-checksums", "skip the SHA-256 check of the batches' contents (for an archive other than the official one)")
    .option("--quiet", "no progress output", false)
    .parse();
  const opts = program.opts<{ dataDir?: string; dir?: string; url: string; md5: string; force: boolean; quiet: boolean; checksums: boolean }>();
  const dir = await downloadCifar10({
    dataDir: opts.dataDir,
    dir: opts.dir,
    url: opts.url,
    md5: opts.md5,
    force: opts.force,
    quiet: opts.quiet,
    checksums: opts.checksums ? undefined : false,
  });
  console.log(`CIFAR-10 files are in ${dir}`);
}

main().catch((err: unknown) => {
  console.error(`npm run data: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
