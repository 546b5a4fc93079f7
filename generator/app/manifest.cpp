#include "generator/app/manifest.hpp"

#include <cstdio>

#include "generator/io/fileio.hpp"
#include "store/error.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

std::string hash_hex(const std::string& content) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(content)));
  return buf;
}

namespace {

// The manifest's JSON, or a usage error when the file is not one.
json parse_manifest(const fs::path& manifest_path, fs::file_type type) {
  const auto text =
      type == fs::file_type::regular ? read_if_file(manifest_path) : std::optional<std::string>();
  const json m = text ? json::parse(*text, nullptr, false) : json();
  if (!text || m.is_discarded() || !m.is_object() || !m.contains("files") ||
      !m["files"].is_object()) {
    throw usage_error(quote(manifest_path.string()) +
                      " is not a berth manifest; move it away to scaffold here");
  }
  return m;
}

// Writes that were under way when a run was killed: a file that holds the bytes berth was
// writing is berth's; one that does not still counts by its earlier hash.
void adopt_pending(const json& pending, const fs::path& folder, AppManifest& out) {
  for (const auto& [path, hash] : pending.items()) {
    if (!hash.is_string()) {
      continue;
    }
    const auto content = read_if_file(folder / path);
    if (content && hash_hex(*content) == hash.get<std::string>()) {
      out.files[path] = hash;
    }
  }
}

}  // namespace

AppManifest read_manifest(const fs::path& manifest_path) {
  AppManifest out;
  std::error_code ec;
  const auto st = fs::symlink_status(manifest_path, ec);
  if (st.type() == fs::file_type::not_found) {
    return out;
  }
  const json m = parse_manifest(manifest_path, st.type());
  for (const auto& [path, hash] : m["files"].items()) {
    if (hash.is_string()) {
      out.files[path] = hash;
    }
  }
  if (m.contains("parts") && m["parts"].is_array()) {
    out.parts.emplace();
    for (const auto& part : m["parts"]) {
      if (part.is_string()) {
        out.parts->push_back(part);
      }
    }
  }
  if (m.contains("pending") && m["pending"].is_object()) {
    adopt_pending(m["pending"], manifest_path.parent_path(), out);
  }
  if (m.contains("model") && m["model"].is_string() && m.contains("app") &&
      m["app"].is_number_unsigned()) {
    out.app = AppKey{m["model"].get<std::string>(), m["app"].get<std::uint32_t>(), {}};
    if (m.contains("namespace") && m["namespace"].is_string()) {
      out.app->ns = m["namespace"].get<std::string>();
    }
  }
  if (m.contains("starters") && m["starters"].is_object()) {
    for (const auto& [path, hash] : m["starters"].items()) {
      if (hash.is_string()) {
        out.starters[path] = hash;
      }
    }
  }
  if (m.contains("vars") && m["vars"].is_object()) {
    for (const auto& [key, value] : m["vars"].items()) {
      if (value.is_string()) {
        out.vars[key] = value;
      }
    }
  }
  return out;
}

void write_manifest(const fs::path& manifest_path, const std::string& template_name,
                    const AppManifest& manifest, const json& pending) {
  json m = {{"berth_scaffold", 1}, {"template", template_name}, {"files", manifest.files}};
  if (manifest.app) {
    m["model"] = manifest.app->model;
    m["app"] = manifest.app->app;
    if (!manifest.app->ns.empty()) {
      m["namespace"] = manifest.app->ns;
    }
  }
  if (!manifest.vars.empty()) {
    m["vars"] = manifest.vars;
  }
  if (!manifest.starters.empty()) {
    m["starters"] = manifest.starters;
  }
  if (manifest.parts) {
    m["parts"] = *manifest.parts;
  }
  if (!pending.empty()) {
    m["pending"] = pending;
  }
  write_if_changed(manifest_path, m.dump(2) + "\n");
}

}  // namespace berth
