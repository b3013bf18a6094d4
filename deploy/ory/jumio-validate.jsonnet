// Request body Kratos POSTs to the gateway's /jumio/validate (login.after.<method>, response.parse).
//
// The login gate decides from the gateway's own store, with one policy for every provider (a Jumio
// `rejected` is the normalized `declined`), so only the identity id is needed; metadata_public.jumio is
// a mirror and is not sent. ctx.identity.metadata_admin is never read: Kratos strips it from the
// webhook context, and reading a missing field is a jsonnet runtime error that would fail every login.
// session_id is sent only when Kratos has a real one (the session may not be persisted yet when
// login.after hooks run, so its id can be the nil UUID).
// Uses only std functions present in both go-jsonnet v0.21 (Kratos) and C++ jsonnet 0.18.
//
// Output: {kratos_identity_id, session_id?}
local nilUuid = '00000000-0000-0000-0000-000000000000';

function(ctx)
  local session = if std.objectHas(ctx, 'session') then ctx.session else null;
  local sessionId =
    if std.isObject(session) && std.objectHas(session, 'id') && std.isString(session.id) then session.id else null;
  { kratos_identity_id: ctx.identity.id }
  + (if sessionId != null && sessionId != '' && sessionId != nilUuid then { session_id: sessionId } else {})
