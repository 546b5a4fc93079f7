#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace berth {

// `berth who PORT...`: for each port, what holds it in the store (an app's port, pinned or not, a
// lease, an exclusion, or nothing: free in a pool, or in none), the app's folders, and what
// listens on it right now. `answer` is one JSON object per port; `line` the same in words.
// `worrying` is set for a port that nothing holds but something listens on, or that no pool of
// the store knows (the exit code 3 of `berth who`).
struct PortAnswer {
  nlohmann::json answer;
  std::string line;
  bool worrying = false;
};

std::vector<PortAnswer> who(const Store& store, const std::vector<std::uint16_t>& ports);

}  // namespace berth
