// A byte relay that also burns CPU around each write:
// `node busy-relay.js MICROSECONDS before|after COMMAND [ARGS…]` spends that much busy work before
// each write (on the call's critical path, like a gateway's routing) or right after it (while
// the next process works, like a gateway's bookkeeping). bench/wake-cost.js measures what each costs per call on the machine at hand.
// It copies chunks as they come, like bench/lib/relay.js, nothing else.
import { spawn } from "node:child_process";
import process from "node:process";

const [busyUs, when, command, ...args] = process.argv.slice(2);
const busyNs = BigInt(Math.round(Number(busyUs) * 1000));
const before = when === "before";

/** Spins (no sleep, no syscall): CPU the relay spends without giving the core away. */
function busy() {
  if (busyNs === 0n) return;
  const end = process.hrtime.bigint() + busyNs;
  while (process.hrtime.bigint() < end);
}

function copy(from, to) {
  from.on("data", (chunk) => {
    if (before) busy();
    to.write(chunk);
    if (!before) busy();
  });
}

const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
copy(process.stdin, child.stdin);
copy(child.stdout, process.stdout);
process.stdin.on("end", () => child.kill("SIGTERM"));
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code) => process.exit(code ?? 1));
