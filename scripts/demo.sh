#!/usr/bin/env bash
# `make demo`: generate an image offline. Starts the fake server, runs the CLI against it, and
# checks that the image is a real PNG of the requested aspect ratio. The server is always stopped.
# Usage: scripts/demo.sh VENV_BIN_DIR
set -euo pipefail

bin=${1:?usage: scripts/demo.sh VENV_BIN_DIR}
prompt="A suited raccoon smoking a pipe in a vintage study room"
aspect_ratio=16:9
work=$(mktemp -d)
server_pid=

stop_server() {
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

: >"$work/url"
"$bin/nano-banana-pro" fake-server --port 0 --task-seconds 2 >"$work/url" 2>"$work/server.log" &
server_pid=$!

# The server prints its base URL as its first line on stdout once it listens.
base_url=
for _ in $(seq 100); do
	base_url=$(head -n 1 "$work/url")
	[[ $base_url =~ ^http://127\.0\.0\.1:[0-9]+$ ]] && break
	base_url=
	if ! kill -0 "$server_pid" 2>/dev/null; then
		break
	fi
	sleep 0.1
done
if [[ -z $base_url ]]; then
	echo "demo: the fake server did not start:" >&2
	cat "$work/server.log" >&2
	exit 1
fi
echo "demo: fake server on $base_url" >&2

MAGNIFIC_BASE_URL=$base_url MAGNIFIC_API_KEY=demo-key \
	"$bin/nano-banana-pro" generate "$prompt" --aspect-ratio "$aspect_ratio" --out out/ \
	>"$work/files"
image=$(head -n 1 "$work/files")
"$bin/python" scripts/check_png.py "$image" --aspect-ratio "$aspect_ratio"
echo "Demo image: $image"
