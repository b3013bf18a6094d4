// One JWS compact string as the /verify baselines check it (bench/raw-verify.mjs, bench/bare-verify.mjs): what is
// signed, the signature bytes, and the hash and encoding its alg implies.
export function part(jws) {
  const [header, payload, signature] = jws.split(".");
  const alg = JSON.parse(Buffer.from(header, "base64url").toString("utf8")).alg;
  return {
    data: Buffer.from(`${header}.${payload}`),
    signature: Buffer.from(signature, "base64url"),
    hash: alg.startsWith("RS") || alg === "DS256" ? "sha256" : "sha1",
    dsa: alg.startsWith("DS"),
  };
}
