#!/bin/sh
# Runs after `azd deploy`. The Event Grid subscription targets processIncomingBlob by resource
# id, and Event Grid refuses a function that does not exist yet, so the first provision skips
# it. Once the code is deployed, turn it on and provision again; later runs see it on and stop.
set -eu

if [ "$(azd env get-value EVENT_SUBSCRIPTION_ENABLED 2>/dev/null || true)" = "true" ]; then
  exit 0
fi

echo "Code deployed: creating the Event Grid subscription for processIncomingBlob."
azd env set EVENT_SUBSCRIPTION_ENABLED true
azd provision --no-prompt
