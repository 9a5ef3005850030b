#!/bin/sh
# What the browser tests need: Debian's Chromium (Playwright drives it; Playwright's own
# browser download does not work everywhere) and Noto fonts for the Arabic pages.
# Installs them when missing and this user may (root, or sudo without a password);
# otherwise stops at once with the one command to run. CHROMIUM=/path skips the check.
set -eu

chromium="${CHROMIUM:-/usr/bin/chromium}"
fonts_present() { [ -e /usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf ]; }

if [ -x "$chromium" ] && { [ -n "${CHROMIUM:-}" ] || fonts_present; }; then
  exit 0
fi

install="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "make test: the browser tests need Chromium and Noto fonts, and this machine has no" >&2
  echo "apt-get. Install Chromium, then run: make test CHROMIUM=/path/to/chromium" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  runner="sh -c"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  runner="sudo sh -c"
else
  echo "make test: the browser tests need Debian's Chromium and Noto fonts. Run once:" >&2
  echo "  sudo sh -c '$install'" >&2
  exit 1
fi
echo "[make test] installing Chromium and Noto fonts for the browser tests (about 30 s)"
$runner "$install" >/dev/null
