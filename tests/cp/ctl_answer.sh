#!/usr/bin/env bash
# rampartctl against a stand-in management server: large answers arrive byte for byte.
# The server writes the status line and a body of SIZE bytes in one send, so rampartctl's
# first read holds the status line and the start of the body (a first read of more than
# the status line's bound once lost the body's bytes beyond it).
set -u
CTL=${RAMPART_BUILD_DIR:?}/controlplane/rampartctl
PY=/usr/bin/python3
[ -x "$CTL" ] || { echo "SKIP: $CTL not built"; exit 77; }
[ -x "$PY" ] || { echo "SKIP: no $PY"; exit 77; }
work=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null; rm -rf "$work"' EXIT
fails=0
for size in 100 8189 8190 16384 50000 400000; do
	rm -f "$work/sock" "$work/ready"
	"$PY" - "$work/sock" "$size" "$work/body" "$work/ready" <<'PYEOF' &
import socket, sys
path, size, body_file, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
body = bytes((i * 7 + i // 251) % 26 + 97 for i in range(size)) + b"\n"
open(body_file, "wb").write(body)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
open(ready, "w").close()
s.settimeout(20)
c, _ = s.accept()
c.recv(4096)
c.sendall(b"OK\n" + body)
c.close()
PYEOF
	srv=$!
	for _ in $(seq 100); do [ -e "$work/ready" ] && break; sleep 0.05; done
	"$CTL" -s "$work/sock" -t 10 show test >"$work/out" 2>"$work/err"
	rc=$?
	wait "$srv"
	if [ "$rc" != 0 ]; then
		echo "FAIL: $size-byte answer: exit $rc: $(cat "$work/err")"; fails=$((fails + 1))
	elif ! cmp -s "$work/out" "$work/body"; then
		echo "FAIL: $size-byte answer: output differs ($(wc -c <"$work/out") bytes, $(cmp "$work/out" "$work/body" 2>&1))"
		fails=$((fails + 1))
	else
		echo "ok: $size-byte answer printed byte for byte"
	fi
done
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
