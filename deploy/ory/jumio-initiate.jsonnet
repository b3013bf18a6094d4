// Request body Kratos POSTs to the gateway's /jumio/initiate (registration.after.<method>, post-persist).
//
// Kratos passes the webhook context as the top-level argument `ctx` (identity, flow, request_*; no
// session, no metadata_admin, no credentials). Jumio receives nothing from the gateway but the Kratos
// identity id (as customerInternalReference, which must not be personal data), so, unlike
// persona-initiate.jsonnet, no trait is read or sent. Every optional field is guarded with
// std.objectHas: reading a missing field is a jsonnet runtime error, and a runtime error fails the flow.
// Only standard-library functions present in both go-jsonnet v0.21 (Kratos) and C++ jsonnet 0.18 are
// used (std.objectHas, std.isObject, std.isString).
//
// Output (schema_id is null when absent; flow_id is left out when Kratos sends no flow id):
//   {kratos_identity_id, schema_id, flow_id?}
local nilUuid = '00000000-0000-0000-0000-000000000000';

// o[k] when o is an object holding a non-empty string under k, else null.
local str(o, k) =
  if std.isObject(o) && std.objectHas(o, k) && std.isString(o[k]) && o[k] != '' then o[k] else null;

function(ctx)
  local identity = if std.objectHas(ctx, 'identity') then ctx.identity else null;
  local id = str(identity, 'id');
  local flowId = if std.objectHas(ctx, 'flow') then str(ctx.flow, 'id') else null;

  // A nil (or missing) id means the hook runs pre-persist (parse: true / can_interrupt): the identity
  // is not in the database yet, so the request would be useless. `error "cancel"` makes Kratos skip
  // this webhook instead of failing the flow (request/builder.go ErrCancel).
  if id == null || id == nilUuid then error 'cancel'
  else {
    kratos_identity_id: id,
    schema_id: str(identity, 'schema_id'),
  } + (if flowId != null then { flow_id: flowId } else {})
