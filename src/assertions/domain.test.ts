// Domain and email grammar, including the malformed addresses from browserid-local-verify's own tests.
import { describe, expect, it } from "vitest";
import { emailDomain, isValidDomain } from "./domain.js";

describe("isValidDomain", () => {
  it.each([
    "example.com",
    "login.persona.org",
    "127.0.0.1:46195",
    "localhost",
    "a-b.example:443",
    "x.y.z.example",
  ])("accepts %s", (domain) => expect(isValidDomain(domain)).toBe(true));
  it.each([
    "Example.com",
    "example.com.",
    "-a.example",
    "a-.example",
    "exa_mple.com",
    "example.com:0",
    "example.com:080",
    "example.com:65536",
    "https://example.com",
    "example.com/path",
    "user@example.com",
    "[::1]",
    "",
    `${"a".repeat(64)}.example`,
    "example.com:",
  ])("refuses %j", (domain) => expect(isValidDomain(domain)).toBe(false));
});

describe("emailDomain", () => {
  it.each([
    ["alice@example.com", "example.com"],
    ["a.b+c_d!#$%&'*/=?^`{|}~-@example.com", "example.com"],
    ["Alice@example.com", "example.com"],
    ["test@127.0.0.1:46195", "127.0.0.1:46195"],
  ])("accepts %j", (email, domain) => expect(emailDomain(email)).toBe(domain));

  // browserid-local-verify tests/assertion.js, plus the upper-case domain Mozilla also treated as "no email".
  it.each([
    "test@example/com",
    "test@(exam)ple.com",
    "test@users.example.com@example.com",
    "test\n@example.com",
    "test@example\u0000.com",
    "test\u0000@example.com",
    "test\u0000\n@example.com",
    "alice@Example.com",
    "@example.com",
    "alice@",
    "a@",
    "al ice@example.com",
    '"alice"@example.com',
    `${"a".repeat(250)}@example.com`,
  ])("refuses %j", (email) => expect(emailDomain(email)).toBeUndefined());
});
