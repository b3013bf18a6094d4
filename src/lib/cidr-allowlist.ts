// Source-address allowlists from CIDR lists (callback senders): IPv4, IPv6 and IPv4-mapped IPv6 addresses.
import { BlockList, isIP } from "node:net";

export interface CidrAllowlist {
  /** Whether the address lies inside one of the listed ranges; a malformed address never does. */
  allows(address: string): boolean;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

function family(address: string): "ipv4" | "ipv6" | null {
  const version = isIP(address);
  return version === 4 ? "ipv4" : version === 6 ? "ipv6" : null;
}

/** `::ffff:10.1.2.3` (how a dual-stack socket reports an IPv4 peer) is checked as `10.1.2.3`. */
function canonical(address: string): string {
  const trimmed = address.trim();
  return MAPPED_V4.exec(trimmed)?.[1] ?? trimmed;
}

/** The entries that are not an address or `address/prefix` (for a configuration error). */
export function invalidCidrs(entries: readonly string[]): string[] {
  return entries.filter((entry) => parseCidr(entry) === null);
}

function parseCidr(entry: string): { address: string; prefix: number; type: "ipv4" | "ipv6" } | null {
  const [rawAddress = "", rawPrefix, ...rest] = entry.trim().split("/");
  if (rest.length > 0) return null;
  const address = canonical(rawAddress);
  const type = family(address);
  if (!type) return null;
  const max = type === "ipv4" ? 32 : 128;
  if (rawPrefix === undefined) return { address, prefix: max, type };
  if (!/^\d{1,3}$/.test(rawPrefix) || Number(rawPrefix) > max) return null;
  return { address, prefix: Number(rawPrefix), type };
}

/** Throws naming every malformed entry; an empty list allows nothing (callers skip the check when unset). */
export function createCidrAllowlist(entries: readonly string[]): CidrAllowlist {
  const invalid = invalidCidrs(entries);
  if (invalid.length > 0) throw new Error(`not an IP address or CIDR: ${invalid.join(", ")}`);
  const list = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.type);
  }
  return {
    allows(address) {
      const candidate = canonical(address);
      const type = family(candidate);
      return type !== null && list.check(candidate, type);
    },
  };
}
