#!/usr/bin/env bash
# Installs what lowbit needs and this machine lacks; each step is skipped when
# already present. Debian 12: LLVM/MLIR 22 from apt, Python test packages from pip.
set -euo pipefail

need_apt=()
[ -f /usr/lib/llvm-22/lib/cmake/mlir/MLIRConfig.cmake ] || need_apt+=(llvm-22-dev libmlir-22-dev)
[ -x /usr/lib/llvm-22/bin/mlir-opt ] || need_apt+=(mlir-22-tools)
[ -x /usr/lib/llvm-22/bin/FileCheck ] && [ -x /usr/lib/llvm-22/bin/lit ] || need_apt+=(llvm-22-tools)
command -v ninja >/dev/null || need_apt+=(ninja-build)
command -v cmake >/dev/null || need_apt+=(cmake)
command -v c++ >/dev/null || need_apt+=(g++)
command -v python3 >/dev/null || need_apt+=(python3 python3-pip)
[ -f /usr/include/gtest/gtest.h ] || need_apt+=(libgtest-dev)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

need_pip=()
for mod in numpy ml_dtypes pytest safetensors; do
  python3 -c "import $mod" 2>/dev/null || need_pip+=("$mod")
done
if [ ${#need_pip[@]} -gt 0 ]; then
  echo "install-deps: pip install ${need_pip[*]}"
  python3 -m pip install -q "${need_pip[@]}" || python3 -m pip install -q --break-system-packages "${need_pip[@]}"
fi
