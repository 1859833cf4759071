#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright; never a downloaded browser.
# Installs it (and a CJK font, so screenshots of the Chinese console are legible) when missing and we
# can (root with apt-get); otherwise says why the browser tests will skip.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
if ! (command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null | head -1)" ]); then
  need+=(fonts-wqy-microhei)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} for the browser tests…"
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null); then
    exit 0
  fi
  echo "warning: could not install ${need[*]}; browser tests may be skipped" >&2
else
  echo "note: ${need[*]} missing and cannot be installed here (needs root and apt-get);" \
       "the browser tests will be skipped without chromium. Install with: sudo apt-get install ${need[*]}" >&2
fi
exit 0
