/** A download for the fault-injection tests, in its own process so it can be killed. argv: <dataDir> <url> <md5>. */
import { downloadCifar10 } from "../../src/data/download";

const [dataDir, url, md5] = process.argv.slice(2);
downloadCifar10({ dataDir, url, md5, quiet: true, checksums: false }).then(
  (dir) => process.stdout.write(`DONE ${dir}\n`),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
