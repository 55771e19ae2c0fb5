# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
# Stand-in for TRex's trex_stl_lib, used only by perf/profiles/check-profiles (see api.py).
