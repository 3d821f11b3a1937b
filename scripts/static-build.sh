#!/bin/sh
# A fully static kuroko: x86_64-unknown-linux-musl, with OpenSSL built from source and
# linked in. One file to carry into an air-gapped site: no libssl, no glibc needed.
#
# Needs the Rust target (added here if missing) and musl-gcc (Debian: musl-tools).
# Prints the binary's path; its sha256 is written beside it as kuroko.sha256.
set -eu
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl
if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target" >&2
fi
if ! command -v musl-gcc >/dev/null 2>&1; then
  echo "static-build: musl-gcc is missing (Debian: apt-get install musl-tools)" >&2
  exit 1
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/static}"
cargo build --release --locked --target "$target" --features static >&2
dir="$CARGO_TARGET_DIR/$target/release"
(cd "$dir" && sha256sum kuroko > kuroko.sha256)
echo "$dir/kuroko"
