-- Argo CD health check for platform.booking.io/BookingPlatform
-- (resource.customizations.health.platform.booking.io_BookingPlatform in argocd-cm).
-- Argo CD sets the global `obj` to the live object and reads {status, message, deletionMessage}.
-- Argo CD runs it in gopher-lua (Lua 5.1) with only the base, table and a safe os library: no
-- `string` library (no string.format, no s:len()) unless useOpenLibs is set, which we do not need.
-- Numbers are joined with `..` and tostring, which are part of the base language.
local hs = {}

local function condition(conditions, type)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function nonEmpty(s, fallback)
  if s ~= nil and s ~= "" then
    return s
  end
  return fallback
end

local function health()
  local status = obj.status
  local conditions = nil
  if status ~= nil then
    conditions = status.conditions
  end
  local ready = condition(conditions, "Ready")
  local stalled = condition(conditions, "Stalled")

  -- Paused on purpose: the operator makes no changes (deletion waits too), so status may be stale.
  if obj.spec ~= nil and obj.spec.paused == true then
    return "Suspended", "Paused (spec.paused): the operator makes no changes to this platform"
  end

  -- nothing observed yet (a CRD default may write observedGeneration 0 before the operator does)
  if status == nil or status.observedGeneration == nil or status.observedGeneration == 0 then
    return "Progressing", "Waiting for the operator"
  end

  -- The operator gave up until someone acts (invalid spec, terminal AWS error, lost data, a
  -- removal waiting for confirmation, a blocked deletion).
  if stalled ~= nil and stalled.status == "True" then
    return "Degraded", nonEmpty(stalled.message, nonEmpty(stalled.reason, "Stalled"))
  end

  if status.phase == "Failed" then
    local detail = nil
    if ready ~= nil then
      detail = nonEmpty(ready.message, ready.reason)
    end
    return "Degraded", nonEmpty(detail, "Failed")
  end

  local generation = nil
  if obj.metadata ~= nil then
    generation = obj.metadata.generation
  end
  if generation ~= nil and status.observedGeneration ~= generation then
    return "Progressing", "Waiting for the operator to observe generation " .. tostring(generation) .. " (status is for " .. tostring(status.observedGeneration) .. ")"
  end

  if ready ~= nil and ready.status == "True" then
    return "Healthy", nonEmpty(ready.message, "Ready")
  end

  if ready ~= nil then
    return "Progressing", nonEmpty(ready.message, nonEmpty(ready.reason, "Not ready yet"))
  end
  return "Progressing", "Waiting for the operator"
end

hs.status, hs.message = health()

-- Being deleted: the finalizer carries out the data services' deletion policies. Argo CD (v3.6+)
-- shows this status with deletionMessage instead of a bare "Pending deletion", so what the
-- deletion waits for (a final snapshot, spec.paused, a blocked deletion) is visible there.
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.deletionMessage = "Deleting: " .. hs.message
end
return hs
