#!/usr/bin/env bash
# Smoke check of a deployed environment through its public URL, the way a browser reaches it
# (ingress -> nginx sidecar -> Node). The pipeline's smoke jobs run it after every deploy:
#   bash scripts/smoke.sh https://chat.example.com
# It fails (exit 1) unless
#   1. /readyz answers 200: Node is up and reaches PostgreSQL and Redis;
#   2. a socket.io WebSocket upgrade answers 101 and socket.io's open packet: the ingress and nginx pass
#      upgrades on, without which every client falls back to long polling.
# test/deploy/smoke.test.ts runs it against the real server.
set -euo pipefail

url="${1:?usage: smoke.sh URL}"
url="${url%/}"

echo "GET ${url}/readyz"
curl --fail --silent --show-error --max-time 10 "${url}/readyz"
echo

echo "WebSocket upgrade ${url}/socket.io/"
frames="$(mktemp)"
trap 'rm -f "$frames"' EXIT
# curl (before its own WebSocket support) does not speak the protocol after the 101: it keeps the
# connection open until --max-time, so its exit status says nothing here; the status line and the
# first frame it wrote do. Upgrades exist only in HTTP/1.1, hence --http1.1 (an https ingress would offer HTTP/2).
status="$(curl --http1.1 --silent --max-time 5 --output "$frames" --write-out '%{http_code}' \
  --header 'Connection: Upgrade' --header 'Upgrade: websocket' --header 'Sec-WebSocket-Version: 13' \
  --header "Sec-WebSocket-Key: $(head -c 16 /dev/urandom | base64)" \
  "${url}/socket.io/?EIO=4&transport=websocket")" || true
# engine.io's open packet: "0" and a JSON handshake with the session id.
if [[ "$status" != 101 ]] || ! grep -qa '0{"sid":' "$frames"; then
  echo "smoke: the WebSocket upgrade got HTTP ${status:-no answer}, not 101 with socket.io's open packet" >&2
  exit 1
fi
echo "101 Switching Protocols, socket.io open packet received"
