// POST /verify, POST / (v1) and POST /v2: Mozilla's Remote Verification API over our BrowserID verifier.
// Routes only parse, call the verifier (and the idv lookup), and shape the answer; nothing is logged per request.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { VerifyInput } from "../assertions/types.js";
import {
  type Counts,
  countsFor,
  HEADERS,
  refusal,
  VERIFY_V1_PATHS,
  VERIFY_V2_PATH,
  type VerifyRouteDeps,
  verdictJson,
} from "./verify-answer.js";
import { EMPTY, type Params, type RequestError, v1Input, v2Input } from "./verify-input.js";
import { failureJson } from "./verify-schemas.js";

function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : EMPTY_BODY;
}
const EMPTY_BODY = Buffer.alloc(0);

export async function registerVerify(app: FastifyInstance, deps: VerifyRouteDeps) {
  async function answer(reply: FastifyReply, input: VerifyInput | string, counts: Counts) {
    return reply
      .status(200)
      .headers(HEADERS)
      .send(await verdictJson(deps, input, counts));
  }

  await app.register(async (scope) => {
    // The body is read raw (any content type, capped) and parsed by the route, which owns the 400/415 rules.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: deps.bodyLimit }, (_req, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler((error: FastifyError | RequestError, request, reply) => {
      const { status, reason, outcome, internal } = refusal(error, deps.bodyLimit);
      if (internal)
        request.log.error({ err: error, reqId: request.id, url: request.url }, "verification failed");
      deps.metrics.verifications.inc({ route: request.routeOptions.url ?? "", outcome });
      return reply.status(status).headers(HEADERS).send(failureJson(reason));
    });

    // No hook at all when off (the benchmark's setting): nothing per request.
    if (deps.rateLimiter.enabled)
      scope.addHook("onRequest", async (request, reply) => {
        const decision = deps.rateLimiter.take(request.ip);
        if (decision.allowed) return;
        deps.metrics.verifications.inc({ route: request.routeOptions.url ?? "", outcome: "rate_limited" });
        return reply
          .status(429)
          .headers(HEADERS)
          .header("retry-after", String(decision.retryAfterSeconds))
          .send(failureJson("too many requests"));
      });

    for (const path of VERIFY_V1_PATHS) {
      const counts = countsFor(deps.metrics, path);
      scope.post(path, { bodyLimit: deps.bodyLimit }, (request, reply) =>
        answer(
          reply,
          v1Input(request.headers["content-type"], bodyOf(request), (request.query ?? EMPTY) as Params),
          counts,
        ),
      );
    }
    const v2Counts = countsFor(deps.metrics, VERIFY_V2_PATH);
    scope.post(VERIFY_V2_PATH, { bodyLimit: deps.bodyLimit }, (request, reply) =>
      answer(reply, v2Input(request.headers["content-type"], bodyOf(request)), v2Counts),
    );
    // Mozilla answered 405 to GET on its verification routes; so do we, for every method but POST.
    for (const path of [...VERIFY_V1_PATHS, VERIFY_V2_PATH]) {
      scope.route({
        method: ["GET", "PUT", "DELETE", "PATCH"],
        url: path,
        handler: (_request, reply) =>
          reply.status(405).headers(HEADERS).header("allow", "POST").send(failureJson("method not allowed")),
      });
    }
  });
}
