/** Running a tsx child script line by line, for the fault tests (not a test file). */
import { spawn } from "node:child_process";

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Run `script` with `args` under tsx (LOWRANK_QUIET=1), calling `onLine(line, kill)` for every stdout
 * line as it arrives; `kill()` sends SIGKILL from outside, as a crash would.
 * `tsxCli`: start it as npm's scripts do, through the tsx command, whose child handles signals in JavaScript.
 */
export function runChildLines(script: string, args: readonly string[], onLine: (line: string, kill: () => void) => void, options: { tsxCli?: boolean } = {}): Promise<ChildExit> {
  return new Promise((resolve) => {
    const command = options.tsxCli ? [require.resolve("tsx/cli"), script, ...args] : ["--import", "tsx", script, ...args];
    const child = spawn(process.execPath, command, { env: { ...process.env, LOWRANK_QUIET: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    const kill = () => child.kill("SIGKILL");
    let buffer = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        onLine(line, kill);
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}
