-- Argo CD health check for argoproj.io/Application (resource.customizations.health.argoproj.io_Application).
-- Argo CD stopped assessing Applications itself in v1.8; without this, an app-of-apps does not wait
-- for the booking-operator Application (sync-wave -1) to be healthy before the platforms (wave 1).
local hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil and obj.status.health ~= nil and obj.status.health.status ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
end
return hs
