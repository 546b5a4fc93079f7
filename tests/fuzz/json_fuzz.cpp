// libFuzzer target: every JSON reader berth has — batch, import, plan, lock, template manifest
// and store records — on the same bytes. Each must accept the input or throw berth::Error;
// anything else (another exception, a crash) is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "generator/configure/plan.hpp"
#include "generator/io/fileio.hpp"
#include "generator/io/inputs.hpp"
#include "generator/template/template.hpp"
#include "store/error.hpp"
#include "store/store.hpp"
#include "tests/fuzz/expect_error.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path& work_dir() {
  static const fs::path dir = [] {
    std::string pattern = (fs::temp_directory_path() / "berth-fuzz-XXXXXX").string();
    fs::path d = mkdtemp(pattern.data());
    fs::create_directories(d / "template" / "files");
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const fs::path file = work_dir() / "input.json";
  const fs::path manifest = work_dir() / "template" / "template.json";
  berth::write_atomic(file, text, 0644);
  berth::write_atomic(manifest, text, 0644);
  expect_berth_error_only([&] { berth::parse_batch(file.string()); });
  expect_berth_error_only([&] {
    std::vector<berth::Pool> pools;
    std::vector<berth::ReserveRequest> requests;
    berth::parse_import(file.string(), pools, requests);
  });
  expect_berth_error_only([&] { berth::read_plan(file.string()); });
  expect_berth_error_only([&] { berth::read_lock(file); });
  expect_berth_error_only([&] { berth::load_template((work_dir() / "template").string(), {}); });
  expect_berth_error_only([&] { berth::parse_reservation_record({"m", 1}, text); });
  return 0;
}
