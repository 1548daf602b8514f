#!/usr/bin/env bash
# Installs everything communityroi needs on a fresh Debian/Ubuntu machine:
# the system libraries WeasyPrint uses (Pango, HarfBuzz), poppler-utils (PDF checks in
# tests), then the package itself with its development, SQL, peer-library and Dask extras.
# Chinese fonts are bundled (report_templates/fonts), so no system CJK font is needed: the
# PDF embeds them, and the HTML carries them cut to its characters (libharfbuzz-subset).
set -euo pipefail
cd "$(dirname "$0")"

pkgs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libharfbuzz0b fonts-dejavu-core
      poppler-utils shared-mime-info)
if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "installing system packages: ${missing[*]}" >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
else
  echo "not a Debian-like system: install Pango (for WeasyPrint) with your package manager" >&2
fi

PY=${PYTHON:-python3}
"$PY" -m pip install -q --disable-pip-version-check -e ".[dev,sql,peers,dask]"
echo "communityroi installed: $(command -v communityroi)" >&2
