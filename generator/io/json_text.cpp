#include "generator/io/json_text.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace berth::json_text {

namespace {

// `n` spaces: appended from a run of them, which std::string does faster than append(n, ' ').
std::string& spaces(std::string& out, std::size_t n) {
  static const std::string run(64, ' ');
  while (n > run.size()) {
    out.append(run);
    n -= run.size();
  }
  return out.append(run.data(), n);
}

}  // namespace

std::string& str(std::string& out, const std::string& s) {
  const bool plain = std::all_of(
      s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  return plain ? out.append(1, '"').append(s).append(1, '"') : out.append(nlohmann::json(s).dump());
}

std::string& key(std::string& out, int indent, const char* name) {
  return spaces(out, static_cast<std::size_t>(indent)).append(1, '"').append(name).append("\": ");
}

std::string& strings(std::string& out, int indent, const std::vector<std::string>& items) {
  if (items.empty()) {
    return out.append("[]");
  }
  out += "[\n";
  for (std::size_t i = 0; i < items.size(); ++i) {
    spaces(out, static_cast<std::size_t>(indent) + 2);
    str(out, items[i]).append(i + 1 < items.size() ? ",\n" : "\n");
  }
  return spaces(out, static_cast<std::size_t>(indent)).append("]");
}

std::string& string_map(std::string& out, int indent,
                        const std::map<std::string, std::string>& map) {
  if (map.empty()) {
    return out.append("{}");
  }
  out += "{\n";
  for (auto it = map.begin(); it != map.end(); ++it) {
    spaces(out, static_cast<std::size_t>(indent) + 2);
    str(str(out, it->first).append(": "), it->second);
    out += std::next(it) == map.end() ? "\n" : ",\n";
  }
  return spaces(out, static_cast<std::size_t>(indent)).append("}");
}

std::string& ports(std::string& out, int indent, const std::vector<NamedPort>& ports) {
  std::map<std::string, std::uint16_t> sorted;  // an object's keys, in order
  for (const auto& p : ports) {
    sorted[p.name] = p.port;
  }
  if (sorted.empty()) {
    return out.append("{}");
  }
  out += "{\n";
  for (auto it = sorted.begin(); it != sorted.end(); ++it) {
    spaces(out, static_cast<std::size_t>(indent) + 2);
    str(out, it->first).append(": ").append(std::to_string(it->second));
    out += std::next(it) == sorted.end() ? "\n" : ",\n";
  }
  return spaces(out, static_cast<std::size_t>(indent)).append("}");
}

}  // namespace berth::json_text
