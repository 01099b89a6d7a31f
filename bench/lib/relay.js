// A byte relay: spawns the command in its arguments and copies bytes between its own stdio and
// the child's, nothing else. The bench's baseline for the cost of the extra process hop alone.
import { spawn } from "node:child_process";
import process from "node:process";

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
process.stdin.on("end", () => child.kill("SIGTERM"));
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code) => process.exit(code ?? 1));
