// Reads settings from the environment, validates them all at once, and refuses unsafe production defaults.
import { type Config, configSchema, type RawEnv } from "./schema.js";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: RawEnv = process.env): Config {
  const known: RawEnv = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    // An empty variable means "not set", as in a .env file with `KEY=`.
    if (value !== undefined && value.trim() !== "") known[key] = value.trim();
  }
  const parsed = configSchema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(config)"}: ${issue.message}`),
    );
  }
  const config = parsed.data;
  const problems = [...settingConflicts(config), ...productionProblems(config)];
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Settings that are each valid but contradict one another. */
function settingConflicts(config: Config): string[] {
  const problems: string[] = [];
  // UIs translate Kratos messages by id: a shared id would show the outage text as a failed verification.
  if (config.LOGIN_UNAVAILABLE_MESSAGE_ID === config.LOGIN_BLOCK_MESSAGE_ID)
    problems.push("LOGIN_UNAVAILABLE_MESSAGE_ID: must differ from LOGIN_BLOCK_MESSAGE_ID");
  return problems;
}

function productionProblems(config: Config): string[] {
  if (config.NODE_ENV !== "production") return [];
  const problems: string[] = [];
  if (!config.ORY_WEBHOOK_SECRET) problems.push("ORY_WEBHOOK_SECRET: required in production");
  if (!config.GATEWAY_PUBLIC_URL?.startsWith("https://"))
    problems.push("GATEWAY_PUBLIC_URL: must be an https:// URL in production");
  if (config.LOGIN_FAIL_OPEN) problems.push("LOGIN_FAIL_OPEN: must not be true in production");
  // Plain-http issuer documents can be rewritten by anyone on the path: a forged key certifies any email.
  if (config.BROWSERID_HTTP_HOSTS.length > 0)
    problems.push("BROWSERID_HTTP_HOSTS: must be empty in production (issuer documents only over https)");
  if (config.BROWSERID_INSECURE_TLS_HOSTS.length > 0)
    problems.push(
      "BROWSERID_INSECURE_TLS_HOSTS: must be empty in production (issuer certificates are always verified)",
    );
  return problems;
}

export function publicBaseUrl(config: Config): string {
  return (config.GATEWAY_PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, "");
}
