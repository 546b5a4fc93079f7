#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generator/host/host.hpp"
#include "store/model.hpp"

namespace berth {

// `berth status`: each app's ports and whether something listens on each right now (and which
// process, when /proc shows it), with its front door link: the facts the front page shows, and
// what runs.
struct PortStatus {
  std::string name;
  std::uint16_t port = 0;
  bool listening = false;
  std::string address;  // where it listens ("127.0.0.1", "0.0.0.0", "::"), when it does
  std::optional<int> pid;
  std::string process;
};

struct AppStatus {
  const Reservation* app = nullptr;
  std::string url;  // through the front door
  std::vector<PortStatus> ports;
  // "up" (every port listened on), "partly" or "down".
  std::string state() const;
};

// `listen`: the front door's ADDR:PORT, for the links.
std::vector<AppStatus> app_status(const std::vector<Reservation>& apps,
                                  const std::vector<Listener>& listeners,
                                  const std::string& listen);

nlohmann::json status_json(const AppStatus& s);

}  // namespace berth
