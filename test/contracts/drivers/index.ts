// Every provider's contract driver; the contract suite and the harness run all of them.
import type { ProviderDriver } from "../driver.js";
import { startJumioDriver } from "./jumio.js";
import { startOnfidoDriver } from "./onfido.js";
import { startPersonaDriver } from "./persona.js";

export const DRIVERS: Record<string, () => Promise<ProviderDriver>> = {
  persona: startPersonaDriver,
  onfido: startOnfidoDriver,
  jumio: startJumioDriver,
};
