// BrowserID backed-assertion verification: the factory the /verify route uses, and the contract types.
export { createIssuerFetcher, IssuerFetchError, type Resolver } from "./fetcher.js";
export type * from "./types.js";
export { createAssertionVerifier, type VerifierDeps } from "./verifier.js";
