// Audience matching against the reference's table (§1.7), plus the url.parse details Mozilla's verdicts depend on.
import { describe, expect, it } from "vitest";
import { compareAudiences } from "./audience.js";

// The table of ../shared/reference/browserid.md §1.7 (reproduced against browserid-local-verify 0.5.2).
describe("compareAudiences", () => {
  it.each([
    ["http://rp.example:8080", "rp.example:8080", undefined],
    ["http://rp.example:8080", "http://rp.example:8080/", undefined],
    ["http://rp.example:8080", "HTTP://RP.EXAMPLE:8080", undefined],
    ["http://rp.example:8080", "http://rp.example", "port mismatch"],
    ["http://rp.example:8080", "rp.example", "port mismatch"],
    ["http://rp.example:8080", "https://rp.example:8080", "scheme mismatch"],
    ["http://rp.example:8080", "http://rp.example:8080/path", "has non-empty path"],
    ["http://rp.example:8080", "http://other.example:8080", "domain mismatch"],
    ["https://rp.example", "https://rp.example:443", undefined],
    ["https://rp.example", "rp.example:443", "scheme mismatch"],
    ["http://example.com", "incorrect.com", "domain mismatch"],
    ["http://example.com", "ftp://example.com", "domain mismatch"],
    ["http://example.com", "", "domain mismatch"],
    ["http://example.com", "example.com::80", "has non-empty path"],
    ["app://browser.gaiamobile.org", "app://browser.gaiamobile.org:80", undefined],
    ["http://example.com", "http://example.com", undefined],
    ["http://example.com", "example.com", undefined],
    ["http://example.com", "http://example.com:8080", "port mismatch"],
    ["http://example.com", "https://example.com", "scheme mismatch"],
    ["http://example.com/some/path?q=1", "http://example.com", undefined],
    ["HTTPS://RP.Example", "https://rp.example", undefined],
    ["rp.example", "rp.example", "scheme mismatch"],
    ["https://rp.example", "https://rp.example?x=1", "has non-empty path"],
    ["https://xn--bcher-kva.example", "https://bücher.example", undefined],
    ["https://rp.example", "https://rp.example#top", undefined],
    ["https://rp.example", "https://rp.example/#top", undefined],
    ["https://rp.example", "https://rp.example/?q#top", "has non-empty path"],
    ["https://rp.example", "https://rp.example:0443", "port mismatch"],
    ["http://rp.example:8080", "rp.example:08080", "port mismatch"],
  ])("aud %j vs RP %j → %s", (want, got, expected) => {
    expect(compareAudiences(want, got)).toBe(expected);
  });
});
