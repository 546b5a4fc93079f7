// libFuzzer target: the renderer on any text, with a small context. It must never crash, and
// text without "{{" must come back unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "generator/template/render.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const berth::Context context = {
      {"model", "m"}, {"app_num", "1"}, {"backend_port", "5001"}, {"project_name", "m-app1"}};
  const berth::Rendered out = berth::render(text, context, "fuzz");
  berth::has_placeholder(text);
  if (text.find("{{") == std::string::npos && out.text != text) {
    __builtin_trap();
  }
  return 0;
}
