#include "generator/template/template.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "store/error.hpp"

namespace berth {

namespace fs = std::filesystem;

std::vector<fs::path> template_search_path() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("BERTH_TEMPLATE_PATH"); env && *env) {
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ':')) {
      if (!item.empty()) {
        out.emplace_back(item);
      }
    }
  }
  // The installed templates beside the binary; a berth run from its build tree has none there
  // and uses its source tree's instead (an installed berth never reads the source tree).
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path installed = exe.parent_path().parent_path() / "share" / "berth" / "templates";
  if (!ec && fs::is_directory(installed, ec)) {
    out.push_back(installed);
    return out;
  }
#ifdef BERTH_SOURCE_TEMPLATES
  out.emplace_back(BERTH_SOURCE_TEMPLATES);
#endif
  return out;
}

std::optional<unsigned> mode_of(const Template& t, const std::string& path) {
  std::optional<unsigned> mode;
  std::size_t best = 0;
  for (const auto& [glob, m] : t.modes) {
    if (glob.size() > best && glob_match(glob, path)) {
      mode = m;
      best = glob.size();
    }
  }
  return mode;
}

std::optional<fs::path> Template::manifest() const {
  if (bare) {
    return std::nullopt;
  }
  return root / "template.json";
}

bool is_binary(std::string_view b) {
  for (std::size_t i = 0; i < b.size();) {
    const auto c = static_cast<unsigned char>(b[i]);
    if (c == 0) {
      return true;
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Lead byte: sequence length and the smallest value it may encode (no overlong forms).
    std::size_t n = 0;
    std::uint32_t value = 0;
    std::uint32_t least = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 2, value = c & 0x1F, least = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3, value = c & 0x0F, least = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4, value = c & 0x07, least = 0x10000;
    } else {
      return true;
    }
    if (i + n > b.size()) {
      return true;
    }
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(b[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return true;
      }
      value = (value << 6) | (cc & 0x3F);
    }
    if (value < least || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      return true;
    }
    i += n;
  }
  return false;
}

void check_variable(const std::string& key, const TemplateVariable& var, const std::string& value) {
  if (var.matcher && !std::regex_match(value, *var.matcher)) {
    throw usage_error("variable " + quote(key) + " value " + quote(value) +
                      " does not match its pattern " + quote(var.pattern) +
                      (var.description.empty() ? "" : " (" + var.description + ")"));
  }
}

std::vector<const TemplateVariant*> selected_variants(
    const Template& tmpl, const std::map<std::string, std::string>& sets) {
  std::vector<const TemplateVariant*> out;
  for (const auto& [name, v] : tmpl.variants) {
    std::optional<std::string> value;
    if (auto it = sets.find(v.variable); it != sets.end()) {
      value = it->second;
    } else if (auto var = tmpl.variables.find(v.variable); var != tmpl.variables.end()) {
      value = var->second.default_value;
    }
    if (value == v.value) {
      out.push_back(&v);
    }
  }
  return out;
}

std::vector<std::string> extra_pools(const Template& tmpl,
                                     const std::map<std::string, std::string>& sets) {
  std::vector<std::string> out;
  for (const auto* v : selected_variants(tmpl, sets)) {
    for (const auto& pool : v->extra) {
      if (std::find(out.begin(), out.end(), pool) == out.end()) {
        out.push_back(pool);
      }
    }
  }
  return out;
}

}  // namespace berth
