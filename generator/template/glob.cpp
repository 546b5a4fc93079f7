#include "generator/template/template.hpp"

#include <vector>

namespace berth {

bool glob_match(const std::string& pattern, const std::string& path) {
  // Backtracking over (pattern position, path position) pairs, each tried at most once: a pair
  // that failed fails again, so the work is bounded by |pattern| x |path| steps, whatever the
  // stars (a plain backtracking matcher is exponential on "*a*a*a*...b").
  const std::size_t width = path.size() + 1;
  std::vector<bool> failed((pattern.size() + 1) * width, false);
  const auto match = [&](const auto& self, std::size_t p, std::size_t s) -> bool {
    while (p < pattern.size()) {
      if (failed[p * width + s]) {
        return false;
      }
      bool ok = false;
      if (pattern.compare(p, 3, "**/") == 0) {
        // Zero or more whole components.
        ok = self(self, p + 3, s);
        for (std::size_t k = s; !ok && k < path.size(); ++k) {
          ok = path[k] == '/' && self(self, p + 3, k + 1);
        }
      } else if (pattern.compare(p, 2, "**") == 0) {
        for (std::size_t k = s; !ok && k <= path.size(); ++k) {
          ok = self(self, p + 2, k);
        }
      } else if (pattern[p] == '*') {
        for (std::size_t k = s; !ok && k <= path.size(); ++k) {
          ok = self(self, p + 1, k);
          if (k < path.size() && path[k] == '/') {
            break;
          }
        }
      } else if (s < path.size() && (pattern[p] == '?' ? path[s] != '/' : pattern[p] == path[s])) {
        ++p;
        ++s;
        continue;
      }
      if (!ok) {
        failed[p * width + s] = true;
      }
      return ok;
    }
    return s == path.size();
  };
  return match(match, 0, 0);
}

}  // namespace berth
