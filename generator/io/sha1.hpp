#pragma once

#include <string>
#include <string_view>

namespace berth {

// The SHA-1 of `data` as 40 lower-case hex digits, as CMake's string(SHA1) writes it: the CMake
// module's default target names for long model names hold its first 8 (FIPS 180-4).
std::string sha1_hex(std::string_view data);

}  // namespace berth
