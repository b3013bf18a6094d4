// Builds the enabled providers from the config, and says for each disabled one which settings are missing.
import type { Config } from "../config/schema.js";
import type { FetchLike } from "../lib/http-client.js";
import { createPersonaProvider } from "./persona/index.js";
import type { IdvProvider, ProviderName, ProviderStatus } from "./provider.js";

export interface ConfiguredProviders {
  providers: Map<ProviderName, IdvProvider>;
  statuses: ProviderStatus[];
}

function missing(config: Config, keys: (keyof Config)[]): string[] {
  return keys.filter((key) => {
    const value = config[key];
    return value === undefined || (Array.isArray(value) && value.length === 0);
  });
}

export function configureProviders(config: Config, fetchImpl?: FetchLike): ConfiguredProviders {
  const providers = new Map<ProviderName, IdvProvider>();
  const statuses: ProviderStatus[] = [];

  const personaMissing = missing(config, [
    "PERSONA_API_KEY",
    "PERSONA_TEMPLATE_ID",
    "PERSONA_WEBHOOK_SECRET",
  ]);
  if (personaMissing.length === 0 && config.PERSONA_API_KEY && config.PERSONA_TEMPLATE_ID) {
    providers.set(
      "persona",
      createPersonaProvider(
        {
          apiKey: config.PERSONA_API_KEY,
          templateId: config.PERSONA_TEMPLATE_ID,
          webhookSecrets: config.PERSONA_WEBHOOK_SECRET,
          inquiryType: config.PERSONA_INQUIRY_TYPE,
          apiBase: config.PERSONA_API_BASE,
          apiVersion: config.PERSONA_API_VERSION,
          toleranceSeconds: config.PERSONA_SIGNATURE_TOLERANCE_SECONDS,
          timeoutMs: config.OUTBOUND_TIMEOUT_MS,
        },
        fetchImpl,
      ),
    );
    statuses.push({ name: "persona", enabled: true, reason: "" });
  } else {
    statuses.push({ name: "persona", enabled: false, reason: `${personaMissing.join(", ")} not set` });
  }
  return { providers, statuses };
}
