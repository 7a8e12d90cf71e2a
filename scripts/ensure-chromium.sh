#!/bin/sh
# Browser tests drive Debian's chromium. Install it when missing and possible; otherwise those tests
# skip locally (and fail under CI=true, where they are required).
[ -x /usr/bin/chromium ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's chromium for the browser tests…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/tmp/chromium-install.log 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/tmp/chromium-install.log 2>&1; } \
    || echo "Could not install chromium (see /tmp/chromium-install.log); browser tests will skip."
else
  echo "No /usr/bin/chromium and no way to install it here; browser tests will skip."
fi
exit 0
