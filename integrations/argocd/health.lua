-- Argo CD health check for tollgate.dev/OAuthClient (resource.customizations.health.tollgate.dev_OAuthClient
-- in argocd-cm; docs/gitops.md). Argo CD runs it in gopher-lua (Lua 5.1) with the object in `obj`.
-- It reads what the operator wrote, in the order kstatus does (Flux and kpt see the same):
--   deleting, or the operator has not observed this generation yet  -> Progressing
--   Stalled=True: nothing changes until a person changes an input   -> Degraded
--   Reconciling=True: the operator retries, or waits for an input   -> Progressing
--   Ready=True with reason Disabled: spec.disabled is in effect      -> Suspended
--   Ready=True                                                       -> Healthy
-- The message is the deciding condition's "Reason: message", as `kubectl describe` shows it.
local hs = {}

local function described(condition)
  return condition.reason .. ": " .. condition.message
end

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Being deleted: the operator removes the client from the registry, then its finalizer"
  return hs
end

local generation = obj.metadata.generation or 0
local observed = 0
local conditions = {}
if obj.status ~= nil then
  observed = obj.status.observedGeneration or 0
  if obj.status.conditions ~= nil then
    for _, condition in ipairs(obj.status.conditions) do
      conditions[condition.type] = condition
    end
  end
end

if observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the Tollgate operator to observe generation " .. generation
  return hs
end

local stalled = conditions["Stalled"]
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = described(stalled)
  return hs
end

local reconciling = conditions["Reconciling"]
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = described(reconciling)
  return hs
end

local ready = conditions["Ready"]
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Tollgate operator to report Ready"
  return hs
end
if ready.status == "True" and ready.reason == "Disabled" then
  hs.status = "Suspended"
  hs.message = described(ready)
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = described(ready)
  return hs
end
-- Ready not True without Reconciling or Stalled: an operator older than those conditions,
-- which cannot say whether it will get there; kstatus reads this as InProgress too.
hs.status = "Progressing"
hs.message = described(ready)
return hs
