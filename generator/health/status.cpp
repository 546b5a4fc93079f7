#include "generator/health/status.hpp"

#include <algorithm>
#include <map>

#include "generator/host/front_page.hpp"

namespace berth {

std::string AppStatus::state() const {
  const auto up =
      std::count_if(ports.begin(), ports.end(), [](const PortStatus& p) { return p.listening; });
  return up == static_cast<long>(ports.size()) ? "up" : up == 0 ? "down" : "partly";
}

std::vector<AppStatus> app_status(const std::vector<Reservation>& apps,
                                  const std::vector<Listener>& listeners,
                                  const std::string& listen) {
  std::map<std::uint16_t, const Listener*> by_port;  // the first listener of each port
  for (const auto& l : listeners) {
    by_port.emplace(l.port, &l);
  }
  std::vector<AppStatus> out;
  for (const auto& r : apps) {
    AppStatus s{&r, front_door_url(r.project, listen), {}};
    for (const auto& p : r.ports) {
      PortStatus ps{p.name, p.port, false, "", std::nullopt, ""};
      if (const auto it = by_port.find(p.port); it != by_port.end()) {
        ps.listening = true;
        ps.address = it->second->address;
        ps.pid = it->second->pid;
        ps.process = it->second->process;
      }
      s.ports.push_back(ps);
    }
    out.push_back(std::move(s));
  }
  return out;
}

nlohmann::json status_json(const AppStatus& s) {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : s.ports) {
    nlohmann::json j = {{"name", p.name}, {"port", p.port}, {"listening", p.listening}};
    if (p.listening) {
      j["address"] = p.address;
      j["process"] = p.process.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.process);
      j["pid"] = p.pid ? nlohmann::json(*p.pid) : nlohmann::json(nullptr);
    }
    ports.push_back(j);
  }
  nlohmann::json j = {{"model", s.app->key.model}, {"app", s.app->key.app},
                      {"project", s.app->project}, {"ports", ports},
                      {"state", s.state()},        {"url", s.url}};
  if (!s.app->key.ns.empty()) {
    j["namespace"] = s.app->key.ns;
  }
  if (!s.app->owner.empty()) {
    j["owner"] = s.app->owner;
  }
  return j;
}

}  // namespace berth
