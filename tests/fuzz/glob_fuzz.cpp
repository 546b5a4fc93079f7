// libFuzzer target: the glob matcher. Input: a pattern, a newline, a path. It must never crash
// and must finish in |pattern| x |path| steps ("*a*a*a...b" once took minutes).
#include <cstddef>
#include <cstdint>
#include <string>

#include "generator/template/template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto nl = input.find('\n');
  std::string pattern = input.substr(0, nl);
  const std::string path = nl == std::string::npos ? "" : input.substr(nl + 1);
  if (pattern.size() > berth::k_max_glob_bytes) {
    pattern.resize(berth::k_max_glob_bytes);  // longer ones are refused by the manifest reader
  }
  const bool matched = berth::glob_match(pattern, path);
  // A pattern without wildcards matches exactly itself.
  if (pattern.find_first_of("*?") == std::string::npos && matched != (pattern == path)) {
    __builtin_trap();
  }
  return 0;
}
