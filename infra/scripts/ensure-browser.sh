#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright; never a downloaded browser.
# Installs it when missing and we can (root with apt-get); otherwise says why the browser tests will skip.
set -u
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests…"
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); then
    exit 0
  fi
  echo "warning: could not install chromium; the browser tests will be skipped" >&2
else
  echo "note: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);" \
       "the browser tests will be skipped. Install it with: sudo apt-get install chromium" >&2
fi
exit 0
