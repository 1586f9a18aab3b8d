#pragma once
// A case that cannot run on this kernel (bridge VLANs, netem) says so with
// skip(). The integration main (sandbox_main.cpp) then exits 77 when every case
// it ran skipped and none failed, and ctest (SKIP_RETURN_CODE 77) reports the
// case as skipped instead of passed. ctest runs one case per process.
#include <catch2/catch.hpp>

#include <string>

namespace nltest {

/// Cases of this process that called skip(); defined in sandbox_main.cpp.
int& skipped_cases();

/// Marks the running case as skipped (call once, then return); `why` names what the kernel lacks.
inline void skip(const std::string& why) {
  WARN("skipped: " << why);
  ++skipped_cases();
}

} // namespace nltest
