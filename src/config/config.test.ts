// Config: defaults, every invalid variable named at once, production refusals, and the README reference kept in sync.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./load.js";
import { renderConfigReference } from "./reference.js";
import { configSchema } from "./schema.js";

describe("loadConfig", () => {
  it("starts with no settings at all, on SQLite, port 3000, default policy", () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.SQLITE_PATH).toBe("./data/idv-gateway.db");
    expect(config.LOGIN_BLOCK_STATUSES).toEqual(["declined"]);
    expect(config.LOGIN_FAIL_OPEN).toBe(false);
    expect(config.REVOKE_SESSIONS_ON_DECLINE).toBe(true);
    expect(config.PERSONA_INQUIRY_TYPE).toBe("hosted-embedded");
    expect(config.PERSONA_API_BASE).toBe("https://api.withpersona.com/api/v1");
    expect(config.PERSONA_SIGNATURE_TOLERANCE_SECONDS).toBe(48 * 3600);
    expect(config.RETRY_MAX_ATTEMPTS).toBe(20);
    expect(config.CLAIM_LEASE_MS).toBe(30_000);
  });

  it("reads lists, booleans and numbers from strings, and treats empty values as unset", () => {
    const config = loadConfig({
      PERSONA_WEBHOOK_SECRET: "wbhsec_new, wbhsec_old",
      LOGIN_BLOCK_STATUSES: "declined,failed",
      REVOKE_SESSIONS_ON_DECLINE: "false",
      PORT: "8080",
      ORY_API_KEY: "",
    });
    expect(config.PERSONA_WEBHOOK_SECRET).toEqual(["wbhsec_new", "wbhsec_old"]);
    expect(config.LOGIN_BLOCK_STATUSES).toEqual(["declined", "failed"]);
    expect(config.REVOKE_SESSIONS_ON_DECLINE).toBe(false);
    expect(config.PORT).toBe(8080);
    expect(config.ORY_API_KEY).toBeUndefined();
  });

  it("names every invalid variable in one error", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "eighty",
        PERSONA_INQUIRY_TYPE: "popup",
        LOGIN_BLOCK_STATUSES: "declined,bogus",
        DATABASE_URL: "mysql://x",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ["PORT", "PERSONA_INQUIRY_TYPE", "LOGIN_BLOCK_STATUSES", "DATABASE_URL"])
      expect(message).toContain(name);
  });

  it("refuses unsafe defaults in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(
      /ORY_WEBHOOK_SECRET: required in production/,
    );
    expect(() =>
      loadConfig({
        NODE_ENV: "production",
        ORY_WEBHOOK_SECRET: "x".repeat(32),
        GATEWAY_PUBLIC_URL: "http://idv.example.com",
      }),
    ).toThrow(/GATEWAY_PUBLIC_URL: must be an https/);
    expect(
      loadConfig({
        NODE_ENV: "production",
        ORY_WEBHOOK_SECRET: "x".repeat(32),
        GATEWAY_PUBLIC_URL: "https://idv.example.com",
      }).NODE_ENV,
    ).toBe("production");
  });

  it("serves /verify by default with Mozilla's body limit, a per-IP rate limit, no idv member, no fallback", () => {
    const config = loadConfig({});
    expect(config.VERIFY_ENABLED).toBe(true);
    expect(config.VERIFY_BODY_LIMIT_BYTES).toBe(10 * 1024);
    expect(config.VERIFY_RATE_LIMIT_PER_MINUTE).toBe(6000);
    expect(loadConfig({ VERIFY_RATE_LIMIT_PER_MINUTE: "0" }).VERIFY_RATE_LIMIT_PER_MINUTE).toBe(0);
    expect(config.VERIFY_IDV_STATUS).toBe(false);
    expect(config.BROWSERID_FALLBACK_ISSUER).toBeUndefined();
    expect(config.BROWSERID_TRUSTED_ISSUERS).toEqual([]);
    expect(config.BROWSERID_HTTP_HOSTS).toEqual([]);
  });

  it("reads BrowserID host lists and refuses entries that are not host[:port] names", () => {
    const config = loadConfig({
      BROWSERID_TRUSTED_ISSUERS: "idp.example.com, login.example.org:8443",
      BROWSERID_ALLOWED_PRIVATE_HOSTS: "127.0.0.1:4000",
    });
    expect(config.BROWSERID_TRUSTED_ISSUERS).toEqual(["idp.example.com", "login.example.org:8443"]);
    expect(config.BROWSERID_ALLOWED_PRIVATE_HOSTS).toEqual(["127.0.0.1:4000"]);
    const bad = {
      BROWSERID_TRUSTED_ISSUERS: "https://idp.example.com",
      BROWSERID_HTTP_HOSTS: "Idp.Example.com",
      BROWSERID_FALLBACK_ISSUER: "login.example.com/path",
      BROWSERID_CLOCK_SKEW_SECONDS: "3600",
    };
    let message = "";
    try {
      loadConfig(bad);
    } catch (error) {
      message = (error as ConfigError).message;
    }
    for (const name of Object.keys(bad)) expect(message).toContain(name);
  });

  it("refuses plain-http and unverified-TLS issuer hosts in production", () => {
    expect(() =>
      loadConfig({
        NODE_ENV: "production",
        ORY_WEBHOOK_SECRET: "x".repeat(32),
        GATEWAY_PUBLIC_URL: "https://idv.example.com",
        BROWSERID_HTTP_HOSTS: "idp.internal:8080",
      }),
    ).toThrow(/BROWSERID_HTTP_HOSTS: must be empty in production/);
    expect(() =>
      loadConfig({
        NODE_ENV: "production",
        ORY_WEBHOOK_SECRET: "x".repeat(32),
        GATEWAY_PUBLIC_URL: "https://idv.example.com",
        BROWSERID_INSECURE_TLS_HOSTS: "127.0.0.1:4443",
      }),
    ).toThrow(/BROWSERID_INSECURE_TLS_HOSTS: must be empty in production/);
  });

  it("rejects a block message id inside Kratos' own catalogue", () => {
    expect(() => loadConfig({ LOGIN_BLOCK_MESSAGE_ID: "4000001" })).toThrow(/LOGIN_BLOCK_MESSAGE_ID/);
  });

  it("rejects the same id for the block and the store-unavailable messages (UIs translate by id)", () => {
    expect(() => loadConfig({ LOGIN_UNAVAILABLE_MESSAGE_ID: "9000001" })).toThrow(
      /LOGIN_UNAVAILABLE_MESSAGE_ID: must differ from LOGIN_BLOCK_MESSAGE_ID/,
    );
    expect(loadConfig({ LOGIN_UNAVAILABLE_MESSAGE_ID: "9000003" }).LOGIN_UNAVAILABLE_MESSAGE_ID).toBe(
      9000003,
    );
  });
});

describe("README configuration reference", () => {
  it("documents every setting, exactly as the schema renders it", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme).toContain(renderConfigReference());
    for (const name of Object.keys(configSchema.shape)) expect(readme).toContain(`| \`${name}\` |`);
  });
});
