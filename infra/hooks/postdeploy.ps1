# Windows twin of postdeploy.sh: create the Event Grid subscription once the code exists.
$ErrorActionPreference = 'Stop'

$enabled = azd env get-value EVENT_SUBSCRIPTION_ENABLED 2>$null
if ($LASTEXITCODE -eq 0 -and $enabled -eq 'true') {
  exit 0
}

Write-Host 'Code deployed: creating the Event Grid subscription for processIncomingBlob.'
azd env set EVENT_SUBSCRIPTION_ENABLED true
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
azd provision --no-prompt
exit $LASTEXITCODE
