#!/usr/bin/env bash
# CTest fixture e2e_images: builds (or finds cached) the images the end-to-end suites and the agent's
# Docker/containerd unit tests use (tests/e2e/setup-images.sh), before any of them starts.
# Skipped (77) on a machine without root, dockerd or the registry unless BULWARK_E2E_REQUIRED=1.
. "$(dirname "$0")/lib.sh"
E2E_SUITE=setup_images
e2e_setup_images
