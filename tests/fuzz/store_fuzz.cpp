// libFuzzer target: the readers of the store's own records, on the same bytes taken as the key
// and the value of each kind of record (split at the first NUL). Each must accept the record or
// throw berth::Error, which `berth check` reports and every other command prints; anything else
// (another exception, a crash) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "store/error.hpp"
#include "store/keys.hpp"
#include "store/state.hpp"
#include "tests/fuzz/expect_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = bytes.find('\0');
  const std::string key = nul == std::string::npos ? bytes : bytes.substr(0, nul);
  const std::string value = nul == std::string::npos ? bytes : bytes.substr(nul + 1);
  using namespace berth::keys;
  expect_berth_error_only([&] { berth::read_pool_record(key, value); });
  expect_berth_error_only([&] { berth::read_excluded_record(value); });
  expect_berth_error_only([&] { decode_record(decode_app_key(key), value); });
  expect_berth_error_only([&] { decode_record({"m", 1}, bytes); });
  // The DOM-free reader of canonical records agrees with the checked one on what it accepts,
  // and encoding what it read gives the same bytes back.
  if (const auto fast = decode_canonical_record({"m", 1}, bytes)) {
    if (encode_record(*fast) != bytes) {
      __builtin_trap();
    }
  }
  if (const auto fast = decode_canonical_time("seen", bytes)) {
    if (encode_time("seen", *fast) != bytes) {
      __builtin_trap();
    }
  }
  expect_berth_error_only([&] { decode_lease(key, value); });
  expect_berth_error_only([&] { decode_time("seen", value, "fuzz"); });
  expect_berth_error_only([&] { decode_app_key(bytes); });
  expect_berth_error_only([&] { decode_use_key(key, bytes); });
  expect_berth_error_only([&] { decode_port_key(bytes); });
  expect_berth_error_only([&] {
    decode_slot_key(bytes);
    decode_slot_pool(bytes);
  });
  return 0;
}
