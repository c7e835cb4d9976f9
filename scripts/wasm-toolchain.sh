#!/usr/bin/env bash
# wasm-toolchain.sh — ensure a Rust toolchain that can build wasm32-unknown-unknown
# exists (installing it if needed) and print `export` lines telling callers how
# to invoke cargo for wasm32. stdout carries ONLY one `export ...` line; logs go to stderr.
#
# Usage:
#   eval "$(scripts/wasm-toolchain.sh)"
#   $WASM_CARGO build $WASM_CARGO_FLAGS -p somecrate      # or check / build --release
#   # artifacts: $WASM_CARGO_TARGET_DIR/wasm32-unknown-unknown/<profile>/*.wasm
#
# Routes, in order:
#   1. rustup: `rustup target add wasm32-unknown-unknown` (prebuilt std).
#   2. Debian fallback (bookworm): apt packages rustc-web cargo-web rust-web-src
#      lld-22, std rebuilt from source with `-Z build-std` (needs RUSTC_BOOTSTRAP=1).
#      Env for that route is baked into $WASM_CARGO via `env ...`, so the caller's
#      shell (and its normal `cargo`) is left untouched.
# Override: WASM_TOOLCHAIN=rustup|debian forces a route (default: auto).
set -euo pipefail

TARGET=wasm32-unknown-unknown
log() { printf '[wasm-toolchain] %s\n' "$*" >&2; }
# Single-quote a value for POSIX-shell eval.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
# emit KIND RUSTC CARGO TARGET_DIR FLAGS -> one `export ...` line on stdout.
emit() {
  printf 'export WASM_TOOLCHAIN_KIND=%s WASM_RUSTC=%s WASM_CARGO=%s WASM_CARGO_TARGET_DIR=%s WASM_CARGO_FLAGS=%s\n' \
    "$(q "$1")" "$(q "$2")" "$(q "$3")" "$(q "$4")" "$(q "$5")"
}

# Target dir base: $CARGO_TARGET_DIR, else <repo root>/target (repo = parent of scripts/).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TDIR_BASE="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TDIR_BASE" in
  *[[:space:]]*) TDIR_BASE="target" ;;  # unquoted $WASM_CARGO_FLAGS can't carry spaces
esac

FORCE="${WASM_TOOLCHAIN:-auto}"

# True if $1 (a rustc) has a usable std for $TARGET.
rustc_has_wasm_std() {
  local rustc="$1" tmp
  tmp="$(mktemp -d)"
  if printf 'pub fn f() -> std::string::String { String::new() }\n' |
      "$rustc" --target "$TARGET" --crate-type lib --crate-name probe \
        --emit metadata --out-dir "$tmp" - >/dev/null 2>&1; then
    rm -rf "$tmp"; return 0
  fi
  rm -rf "$tmp"; return 1
}

try_rustup() {
  command -v rustup >/dev/null 2>&1 || { log "rustup not found"; return 1; }
  local bindir cargo rustc
  bindir="$(dirname "$(command -v rustup)")"
  cargo="$bindir/cargo"
  [ -x "$cargo" ] || cargo="$(command -v cargo || true)"
  [ -n "$cargo" ] || { log "rustup present but no cargo"; return 1; }
  rustc="$(rustup which rustc 2>/dev/null || command -v rustc || true)"
  [ -n "$rustc" ] || return 1

  if ! rustc_has_wasm_std "$rustc"; then
    log "rustup: adding target $TARGET (timeout 60s)..."
    timeout 60 rustup target add "$TARGET" >/dev/null 2>&1 </dev/null || log "rustup target add failed"
    rustc_has_wasm_std "$rustc" || { log "rustup: $TARGET std not usable"; return 1; }
  fi
  log "using rustup toolchain ($("$rustc" -V))"
  emit rustup "$rustc" "$cargo" "$TDIR_BASE" "--target $TARGET"
}

DEB_PKGS=(rustc-web cargo-web rust-web-src lld-22)

debian_pkgs_installed() {
  local p
  for p in "${DEB_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || return 1
  done
}

try_debian() {
  command -v dpkg-query >/dev/null 2>&1 || { log "not a Debian system"; return 1; }
  if ! debian_pkgs_installed; then
    command -v apt-get >/dev/null 2>&1 || { log "apt-get not found"; return 1; }
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null 2>&1 || { log "need root (or sudo) for apt-get"; return 1; }
      sudo="sudo"
    fi
    # apt-get update is required: stale bookworm lists lack lld-22 / rustc-web 1.96.
    local aptlog; aptlog="$(mktemp)"
    log "installing ${DEB_PKGS[*]} via apt-get (~1 min; log: $aptlog)..."
    if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
           $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${DEB_PKGS[@]}"; } >"$aptlog" 2>&1; then
      tail -n 20 "$aptlog" >&2; log "apt-get failed (full log: $aptlog)"; return 1
    fi
    rm -f "$aptlog"
  fi

  local rustc=/usr/bin/rustc cargo=/usr/bin/cargo rustdoc=/usr/bin/rustdoc linker=""
  [ -x "$rustc" ] && [ -x "$cargo" ] || { log "Debian rustc/cargo missing in /usr/bin"; return 1; }
  [ -d /usr/lib/rustlib/src/rust/library/std ] || { log "rust-web-src library sources missing"; return 1; }
  # rust-lld (from rust-web-llvm) is a symlink to lld-22; fall back to wasm-ld.
  for l in /usr/bin/rust-lld /usr/bin/wasm-ld-22 /usr/lib/llvm-22/bin/wasm-ld; do
    if [ -e "$l" ]; then linker="$l"; break; fi
  done
  [ -n "$linker" ] || { log "no wasm linker (rust-lld / wasm-ld) found"; return 1; }

  log "using Debian toolchain ($("$rustc" -V)), std via -Z build-std, linker $linker"
  emit debian "$rustc" \
    "env RUSTC=$rustc RUSTDOC=$rustdoc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$linker $cargo" \
    "$TDIR_BASE/wasm-debian" \
    "--target $TARGET -Z build-std=std,panic_abort --target-dir $TDIR_BASE/wasm-debian"
}

case "$FORCE" in
  rustup) try_rustup ;;
  debian) try_debian ;;
  auto)   try_rustup || { log "falling back to Debian rustc-web + build-std"; try_debian; } ;;
  *) log "WASM_TOOLCHAIN must be auto|rustup|debian (got '$FORCE')"; exit 2 ;;
esac || { log "ERROR: no usable $TARGET toolchain"; exit 1; }
