// The keys of the differential corpus and the code that signs with them: browserid-crypto's or node:crypto's.
import { generateKeyPairSync } from "node:crypto";
import { type BrowserIdKeyPair, generateKeyPair, signJws as nodeSignJws } from "../support/browserid.js";
import type { KeyObject, Mozilla } from "./oracle.js";

/** The corpus's clock: both verifiers run at this instant (2027-01-15). */
export const NOW = 1_800_000_000_000;

export type KeyAlg = "RS128" | "RS256" | "DS128" | "DS256";
export const KEY_ALGS: KeyAlg[] = ["RS128", "RS256", "DS128", "DS256"];

/** One key and the code that signs with it: browserid-crypto's (jwcrypto) or node:crypto's (test/support/browserid.ts). */
export interface Signer {
  alg: KeyAlg;
  publicKey: KeyObject;
  sign(payload: unknown, header?: Record<string, unknown>): Promise<string>;
}

export type SignerKind = "jwcrypto" | "node";

export async function makeSigner(kind: SignerKind, alg: KeyAlg, mozilla: Mozilla): Promise<Signer> {
  if (kind === "jwcrypto") {
    const keypair = await mozilla.generateKeypair(alg);
    return {
      alg,
      publicKey: keypair.publicKey,
      sign: (payload, header) => mozilla.signJws(payload, keypair.secretKey, header),
    };
  }
  const keypair: BrowserIdKeyPair = generateKeyPair(alg);
  return {
    alg,
    publicKey: keypair.publicKey as KeyObject,
    // jwcrypto wrote minimal-length RSA signatures; do the same so both verifiers must left-pad.
    sign: async (payload, header) =>
      nodeSignJws(payload, keypair, header ? { header, minimalRsa: true } : { minimalRsa: true }),
  };
}

/** node:crypto RSA-3072, signing with header RS256 (jwcrypto cannot even make such a key). */
function rsa3072Signer(): Signer {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  const jwk = privateKey.export({ format: "jwk" });
  const dec = (b64?: string) =>
    BigInt(`0x${Buffer.from(b64 ?? "", "base64url").toString("hex")}`).toString(10);
  const keypair = { alg: "RS256", publicKey: { algorithm: "RS", n: dec(jwk.n), e: dec(jwk.e) }, privateKey };
  return {
    alg: "RS256",
    publicKey: keypair.publicKey,
    sign: async (payload, header) =>
      nodeSignJws(payload, keypair as BrowserIdKeyPair, header ? { header } : {}),
  };
}

/** Every key a world needs, for one signer kind. */
export interface World {
  kind: SignerKind;
  idp: Record<KeyAlg, Signer>;
  user: Record<KeyAlg, Signer>;
  /** A second primary (evil.example), the fallback IdP, and an identity bridge. */
  evil: Signer;
  fallback: Signer;
  bridge: Signer;
  /** A second key of the primary (rotation) and an RSA-3072 key no BrowserID alg covers. */
  spare: Signer;
  rsa3072: Signer;
}

export async function makeWorld(kind: SignerKind, mozilla: Mozilla): Promise<World> {
  const idp = {} as Record<KeyAlg, Signer>;
  const user = {} as Record<KeyAlg, Signer>;
  for (const alg of KEY_ALGS) {
    idp[alg] = await makeSigner(kind, alg, mozilla);
    user[alg] = await makeSigner(kind, alg, mozilla);
  }
  return {
    kind,
    idp,
    user,
    evil: await makeSigner(kind, "RS256", mozilla),
    fallback: await makeSigner(kind, "RS256", mozilla),
    bridge: await makeSigner(kind, "DS128", mozilla),
    spare: await makeSigner(kind, "DS256", mozilla),
    rsa3072: rsa3072Signer(),
  };
}
