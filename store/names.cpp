#include "store/names.hpp"

#include <cstdio>

namespace berth {

std::string model_slug(const std::string& model) {
  std::string out;
  for (unsigned char c : model) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<unsigned char>(c - 'A' + 'a');
    }
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      out += static_cast<char>(c);
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') {
    out.pop_back();
  }
  return out.empty() ? "model" : out;
}

bool is_valid_project_name(const std::string& name) {
  if (name.empty() || name.size() > k_max_project_bytes) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_'))) {
      return false;
    }
  }
  return true;
}

std::uint64_t fnv1a64(const std::string& data) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string project_candidate(const AppKey& key, unsigned k) {
  const std::string ns = key.ns.empty() ? std::string() : key.ns + "-";
  const std::string slug = ns + model_slug(key.model);
  const std::string suffix = "-app" + std::to_string(key.app);
  if (k == 0 && slug.size() + suffix.size() <= k_max_project_bytes) {
    return slug + suffix;
  }
  const std::string model = key.ns.empty() ? key.model : key.ns + '\x02' + key.model;
  const std::string input = k <= 1 ? model : model + "#" + std::to_string(k);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(input)));
  const std::string tail = std::string(hex, 8) + suffix;
  std::string head = slug.substr(0, k_max_project_bytes - tail.size() - 1);
  while (!head.empty() && head.back() == '-') {
    head.pop_back();
  }
  return head.empty() ? tail : head + "-" + tail;
}

}  // namespace berth
