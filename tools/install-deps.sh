#!/bin/sh
# install-deps.sh: installs the Debian packages netc needs to build, test and
# run its demo (as root, or through sudo when it is there).
set -eu
packages="build-essential autoconf automake libtool pkg-config flex bison
  libopenblas-dev libhdf5-dev hdf5-tools libcunit1-dev libpng-dev libjpeg-dev
  zlib1g-dev dataset-fashion-mnist graphviz python3-h5py valgrind
  libopenmpi-dev openmpi-bin"
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update
# shellcheck disable=SC2086 # the package list is split on purpose
$as_root apt-get install -y --no-install-recommends $packages
