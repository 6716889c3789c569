#!/usr/bin/env bash
# One-time setup on Debian/Ubuntu: system packages (Jupyter, Chromium, Fashion-MNIST), npm packages,
# and the tslab kernel registered project-locally (<repo>/.jupyter) for `npm start` and the tests.
# Re-running it is safe. Set PADAM_SKIP_APT=1 to skip the apt step (packages installed by other means).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(jupyter-nbconvert python3-nbclient python3-ipykernel python3-jupyter-client chromium dataset-fashion-mnist)

if [ "${PADAM_SKIP_APT:-0}" != "1" ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: Debian packages present"
  fi
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund

echo "setup: registering the tslab kernel in .jupyter/"
npm run --silent kernel -- --prefix

# Data the notebooks need beyond Debian's Fashion-MNIST (CIFAR-10 for 04/05, PTB for 06): fetched
# with checksums and progress when online and not already in a data root (PADAM_DATA, data/).
# Offline this prints one line per data set and setup continues; those notebooks say so.
if [ "${PADAM_SKIP_DATA:-0}" != "1" ]; then
  echo "setup: data sets"
  npm run --silent data -- --workbook || true
fi
