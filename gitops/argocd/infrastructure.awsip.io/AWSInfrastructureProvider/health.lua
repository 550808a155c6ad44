-- Argo CD health check for infrastructure.awsip.io/AWSInfrastructureProvider.
--
-- The operator writes kstatus-style conditions: Ready (the verdict), Reconciling (a verification
-- is running or will be retried), Stalled (a terminal problem that needs a change from you).
--   Ready=True                                   -> Healthy
--   Stalled=True, or Ready=False with a terminal -> Degraded
--   reason when there is no Stalled condition
--   no status yet, status.observedGeneration     -> Progressing
--   behind metadata.generation, anything else
-- The message is the deciding condition's message.
local hs = {}

local TERMINAL_READY_REASONS = {
  AccessDenied = true,
  MissingPermissions = true,
  WildcardPrincipal = true,
  ExternalIDNotEnforced = true,
  ExternalIDSecretNotFound = true,
  InvalidSpec = true,
  NotPermitted = true,
  OperatorCredentialsUnavailable = true,
  RequiredPolicyInvalid = true,
  -- Further reasons of awsip.verification for checks that only a person can fix.
  RoleNotFound = true,
  AssumeRoleRejected = true,
  InvalidExternalID = true,
  InvalidRequiredPolicy = true,
  PolicyConfigMapNotFound = true,
  PolicyCheckTooCostly = true,
}

-- Argo CD runs a health check from argocd-cm without Lua's string and math libraries (only base,
-- table and a safe os), unless an admin sets resource.customizations.useOpenLibs for the kind:
-- numbers are written out here with base functions alone. tostring() would do in Argo CD's Lua
-- 5.1 but writes "2.0" for a whole float in Lua 5.4.
local DIGITS = { [0] = "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" }

local function whole(number)
  if type(number) ~= "number" or number < 0 or number % 1 ~= 0 then
    return tostring(number)
  end
  local text = ""
  repeat
    local digit = number % 10
    text = DIGITS[digit] .. text
    number = (number - digit) / 10
  until number < 1
  return text
end

local function describe(condition, fallback)
  if condition ~= nil and condition.message ~= nil and condition.message ~= "" then
    if condition.reason ~= nil and condition.reason ~= "" then
      return condition.reason .. ": " .. condition.message
    end
    return condition.message
  end
  if condition ~= nil and condition.reason ~= nil and condition.reason ~= "" then
    return condition.reason
  end
  return fallback
end

if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for awsip to verify the role"
  return hs
end

local generation = obj.metadata and obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "Verifying generation " .. whole(generation) .. " (last verified: " .. whole(observed) .. ")"
  return hs
end

local ready, reconciling, stalled
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then
    ready = condition
  elseif condition.type == "Reconciling" then
    reconciling = condition
  elseif condition.type == "Stalled" then
    stalled = condition
  end
end

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(ready ~= nil and ready.status == "False" and ready or stalled, "Stalled")
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  return hs
end

-- Objects written without a Stalled condition (older operators): judge by Ready's reason. With a
-- Stalled condition present and False, a terminal reason only means that another check is being
-- retried (Reconciling=True), so the verdict is not final yet.
if stalled == nil and ready ~= nil and ready.status == "False" and TERMINAL_READY_REASONS[ready.reason] then
  hs.status = "Degraded"
  hs.message = describe(ready, "Not ready")
  return hs
end

hs.status = "Progressing"
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = describe(reconciling, "Verifying the role")
else
  hs.message = describe(ready, "Waiting for awsip to verify the role")
end
return hs
