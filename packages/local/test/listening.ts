/**
 * What the kernel says a port is bound to, and whether another address of this
 * machine reaches it: the two checks that a service is on loopback only.
 */
import { readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { networkInterfaces } from "node:os";

/** Local addresses with a LISTEN socket on `port`, from /proc/net/tcp and tcp6 (IPv4-mapped shown as IPv4, wildcards as 0.0.0.0 / ::). */
export function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== "0A") continue; // 0A: LISTEN
      const [addressHex, portHex] = fields[1]!.split(":");
      if (Number.parseInt(portHex!, 16) !== port) continue;
      found.push(addressHex!.length === 8 ? ipv4FromProc(addressHex!) : ipv6FromProc(addressHex!));
    }
  }
  return found;
}

/** /proc writes each 32-bit word in host (little-endian) order. */
function ipv4FromProc(hex: string): string {
  return [3, 2, 1, 0].map((byte) => Number.parseInt(hex.slice(byte * 2, byte * 2 + 2), 16)).join(".");
}

function ipv6FromProc(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) {
    const chunk = hex.slice(word * 8, word * 8 + 8);
    for (const byte of [3, 2, 1, 0]) bytes.push(Number.parseInt(chunk.slice(byte * 2, byte * 2 + 2), 16));
  }
  if (bytes.every((byte) => byte === 0)) return "::";
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return bytes.slice(12).join(".");
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}

/** An IPv4 address of this machine that is not loopback, if it has one. */
export function nonLoopbackAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (!address.internal && address.family === "IPv4") return address.address;
  }
  return undefined;
}

/** True if a TCP connection to host:port is accepted within a second. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 1_000 });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });
}
