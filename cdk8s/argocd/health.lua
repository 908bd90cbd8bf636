-- Argo CD health check for platform.booking.io/BookingPlatform
-- (resource.customizations.health.platform.booking.io_BookingPlatform in argocd-cm).
-- Argo CD sets the global `obj` to the live object and reads {status, message} from the result.
-- Plain Lua 5.1 (Argo CD runs gopher-lua): no goto, no integer division.
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

-- Paused on purpose: the operator makes no changes, so its status may be stale.
if obj.spec ~= nil and obj.spec.paused == true then
  hs.status = "Suspended"
  hs.message = "Paused (spec.paused): the operator makes no changes to this platform"
  return hs
end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end

local status = obj.status
local ready = condition(status.conditions, "Ready")
local stalled = condition(status.conditions, "Stalled")

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = nonEmpty(stalled.message, nonEmpty(stalled.reason, "Stalled"))
  return hs
end

if status.phase == "Failed" then
  hs.status = "Degraded"
  local detail = nil
  if ready ~= nil then
    detail = nonEmpty(ready.message, ready.reason)
  end
  hs.message = nonEmpty(detail, "Failed")
  return hs
end

local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end
if generation ~= nil and status.observedGeneration ~= generation then
  hs.status = "Progressing"
  if status.observedGeneration == nil then
    hs.message = "Waiting for the operator"
  else
    hs.message = string.format("Waiting for the operator to observe generation %d (status is for %d)", generation, status.observedGeneration)
  end
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = nonEmpty(ready.message, "Ready")
  return hs
end

hs.status = "Progressing"
if ready ~= nil then
  hs.message = nonEmpty(ready.message, nonEmpty(ready.reason, "Not ready yet"))
else
  hs.message = "Waiting for the operator"
end
return hs
