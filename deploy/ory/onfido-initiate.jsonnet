// Request body Kratos POSTs to the gateway's /onfido/initiate (registration.after.<method>, post-persist).
//
// Kratos passes the webhook context as the top-level argument `ctx` (identity, flow, request_*; no
// session, no metadata_admin, no credentials). Every optional field is guarded with std.objectHas:
// reading a missing field is a jsonnet runtime error, and a runtime error fails the Kratos flow.
// Only standard-library functions present in both go-jsonnet v0.21 (Kratos) and C++ jsonnet 0.18 are
// used (std.objectHas, std.isObject, std.isString, std.length, std.codepoint).
//
// Onfido requires an applicant's names; when the identity has none the gateway sends a placeholder,
// so null names are fine here. date_of_birth is sent only when it is a YYYY-MM-DD date: the gateway
// refuses anything else, and this hook is asynchronous, so a refusal would go unnoticed.
//
// Output (fields that are absent in the identity become null; flow_id is left out when Kratos sends no flow id):
//   {kratos_identity_id, schema_id, email, first_name, last_name, date_of_birth, flow_id?}
local nilUuid = '00000000-0000-0000-0000-000000000000';

// o[k] when o is an object holding a non-empty string under k, else null.
local str(o, k) =
  if std.isObject(o) && std.objectHas(o, k) && std.isString(o[k]) && o[k] != '' then o[k] else null;

// a unless it is null, then b.
local orElse(a, b) = if a != null then a else b;

local isDigit(c) = std.codepoint(c) >= 48 && std.codepoint(c) <= 57;

// s when it has the shape YYYY-MM-DD, else null.
local isoDate(s) =
  if s != null && std.length(s) == 10 && s[4] == '-' && s[7] == '-'
     && std.length([i for i in [0, 1, 2, 3, 5, 6, 8, 9] if !isDigit(s[i])]) == 0
  then s else null;

function(ctx)
  local identity = ctx.identity;
  local id = str(identity, 'id');
  local traits = if std.objectHas(identity, 'traits') && std.isObject(identity.traits) then identity.traits else {};
  // traits.name may be an object ({first, last}), a plain string, or absent.
  local name = if std.objectHas(traits, 'name') then traits.name else null;
  local flowId = if std.objectHas(ctx, 'flow') then str(ctx.flow, 'id') else null;

  // A nil (or missing) id means the hook runs pre-persist (parse: true / can_interrupt): the identity
  // is not in the database yet, so the request would be useless. `error "cancel"` makes Kratos skip
  // this webhook instead of failing the flow (request/builder.go ErrCancel).
  if id == null || id == nilUuid then error 'cancel'
  else {
    kratos_identity_id: id,
    schema_id: str(identity, 'schema_id'),
    email: str(traits, 'email'),
    first_name: orElse(str(name, 'first'), str(traits, 'first_name')),
    last_name: orElse(str(name, 'last'), str(traits, 'last_name')),
    date_of_birth: isoDate(orElse(str(traits, 'date_of_birth'), str(traits, 'birthdate'))),
  } + (if flowId != null then { flow_id: flowId } else {})
