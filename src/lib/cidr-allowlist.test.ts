// CIDR allowlists: IPv4, IPv6, single addresses, IPv4-mapped IPv6 peers, and malformed input.
import { describe, expect, it } from "vitest";
import { createCidrAllowlist, invalidCidrs } from "./cidr-allowlist.js";

describe("CIDR allowlist", () => {
  const list = createCidrAllowlist(["127.0.0.0/8", "34.202.241.227", "2001:db8::/32", " 10.0.0.0/8 "]);

  it("allows addresses inside a range or equal to a listed address", () => {
    expect(list.allows("127.0.0.1")).toBe(true);
    expect(list.allows("127.255.0.9")).toBe(true);
    expect(list.allows("34.202.241.227")).toBe(true);
    expect(list.allows("10.20.30.40")).toBe(true);
    expect(list.allows("2001:db8:1::5")).toBe(true);
  });

  it("checks IPv4-mapped IPv6 peers as their IPv4 address", () => {
    expect(list.allows("::ffff:127.0.0.1")).toBe(true);
    expect(list.allows("::FFFF:127.0.0.1")).toBe(true);
    expect(list.allows("::ffff:7f00:1")).toBe(true);
    expect(list.allows("::ffff:192.168.0.1")).toBe(false);
  });

  it("refuses addresses outside every range, and anything that is not an address", () => {
    expect(list.allows("34.202.241.228")).toBe(false);
    expect(list.allows("128.0.0.1")).toBe(false);
    expect(list.allows("2001:db9::1")).toBe(false);
    expect(list.allows("::1")).toBe(false);
    expect(list.allows("")).toBe(false);
    expect(list.allows("localhost")).toBe(false);
    expect(list.allows("127.0.0.1, 10.0.0.1")).toBe(false);
  });

  it("names every malformed entry", () => {
    expect(
      invalidCidrs(["10.0.0.0/8", "10.0.0.0/33", "example.com", "1.2.3.4/8/9", "::/129", "::/0"]),
    ).toEqual(["10.0.0.0/33", "example.com", "1.2.3.4/8/9", "::/129"]);
    expect(() => createCidrAllowlist(["10.0.0.0/8", "nope"])).toThrow(/nope/);
  });
});
