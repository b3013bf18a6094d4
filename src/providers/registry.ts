// Builds the enabled providers from the config, and says for each disabled one which settings are missing.
import { configureJumio } from "./jumio/index.js";
import { configureOnfido } from "./onfido/index.js";
import { configurePersona } from "./persona/index.js";
import type {
  IdvProvider,
  ProviderContext,
  ProviderFactory,
  ProviderName,
  ProviderStatus,
} from "./provider.js";

const FACTORIES: Partial<Record<ProviderName, ProviderFactory>> = {
  persona: configurePersona,
  onfido: configureOnfido,
  jumio: configureJumio,
};

export interface ConfiguredProviders {
  providers: Map<ProviderName, IdvProvider>;
  statuses: ProviderStatus[];
}

export function configureProviders(context: ProviderContext): ConfiguredProviders {
  const providers = new Map<ProviderName, IdvProvider>();
  const statuses: ProviderStatus[] = [];
  for (const [name, factory] of Object.entries(FACTORIES) as [ProviderName, ProviderFactory][]) {
    const made = factory(context);
    if ("missing" in made) {
      statuses.push({ name, enabled: false, reason: `${made.missing.join(", ")} not set` });
    } else {
      providers.set(name, made);
      statuses.push({ name, enabled: true, reason: "" });
    }
  }
  return { providers, statuses };
}
