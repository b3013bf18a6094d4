// configureOnfido: which settings enable Onfido, and which API host it then calls.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../config/load.js";
import { systemRuntime } from "../../lib/runtime.js";
import { configureOnfido } from "./index.js";

const WORKFLOW = "0c7a5b8e-1d2f-4a3b-8c9d-e0f1a2b3c4d5";

describe("configureOnfido", () => {
  const configure = (env: Record<string, string>) =>
    configureOnfido({
      config: loadConfig(env),
      runtime: systemRuntime,
      publicUrl: "https://idv.example.test",
    });
  const base = { ONFIDO_WORKFLOW_ID: WORKFLOW, ONFIDO_WEBHOOK_TOKEN: "t1,t2" };

  it("needs a token (or both OAuth settings), the workflow id and a webhook token", () => {
    expect(configure({})).toEqual({
      missing: [
        "ONFIDO_API_TOKEN (or ONFIDO_OAUTH_CLIENT_ID and ONFIDO_OAUTH_CLIENT_SECRET)",
        "ONFIDO_WORKFLOW_ID",
        "ONFIDO_WEBHOOK_TOKEN",
      ],
    });
    expect(configure({ ...base, ONFIDO_OAUTH_CLIENT_ID: "id" })).toHaveProperty("missing");
    expect(configure({ ONFIDO_API_TOKEN: "t", ONFIDO_WORKFLOW_ID: WORKFLOW })).toEqual({
      missing: ["ONFIDO_WEBHOOK_TOKEN"],
    });
    expect(configure({ ...base, ONFIDO_API_TOKEN: "t" })).toHaveProperty("name", "onfido");
    expect(
      configure({ ...base, ONFIDO_OAUTH_CLIENT_ID: "id", ONFIDO_OAUTH_CLIENT_SECRET: "s" }),
    ).toHaveProperty("name", "onfido");
  });

  it("calls the regional host unless ONFIDO_API_BASE overrides it", async () => {
    const urls: string[] = [];
    const fetchSpy: typeof fetch = async (input) => {
      urls.push(String(input));
      return new Response("{}", { status: 404 });
    };
    for (const env of [{ ONFIDO_REGION: "US" }, { ONFIDO_API_BASE: "http://127.0.0.1:1/v3.6" }, {}]) {
      const made = configureOnfido({
        config: loadConfig({ ...base, ONFIDO_API_TOKEN: "t", ...env }),
        runtime: systemRuntime,
        publicUrl: "https://idv.example.test",
        fetch: fetchSpy,
      });
      if ("missing" in made) throw new Error("expected the provider");
      await made.fetchResult("r1").catch(() => undefined);
    }
    expect(urls).toEqual([
      "https://api.us.onfido.com/v3.6/workflow_runs/r1",
      "http://127.0.0.1:1/v3.6/workflow_runs/r1",
      "https://api.eu.onfido.com/v3.6/workflow_runs/r1",
    ]);
  });
});
