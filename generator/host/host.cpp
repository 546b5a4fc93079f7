#include "generator/host/host.hpp"

#include <arpa/inet.h>
#include <pwd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/store.hpp"

namespace berth {

namespace fs = std::filesystem;

namespace {

constexpr char k_listen_state[] = "0A";

// /proc/net/tcp writes each 32-bit word of an address in host byte order, as hex.
std::string address_text(const std::string& hex, bool v6) {
  unsigned char bytes[16] = {};
  const std::size_t words = v6 ? 4 : 1;
  if (hex.size() != words * 8) {
    return hex;
  }
  for (std::size_t w = 0; w < words; ++w) {
    const std::uint32_t word =
        static_cast<std::uint32_t>(std::strtoul(hex.substr(w * 8, 8).c_str(), nullptr, 16));
    std::copy_n(reinterpret_cast<const unsigned char*>(&word), 4, bytes + w * 4);
  }
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, text, sizeof text);
  return text;
}

void read_table(const char* path, bool v6, std::vector<Listener>& out) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string sl, local, remote, state, queues, timer, retr, uid, timeout, inode;
    if (!(fields >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >>
          inode) ||
        state != k_listen_state) {
      continue;
    }
    const auto colon = local.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    Listener l;
    l.port = static_cast<std::uint16_t>(std::strtoul(local.substr(colon + 1).c_str(), nullptr, 16));
    l.address = address_text(local.substr(0, colon), v6);
    l.inode = std::strtoull(inode.c_str(), nullptr, 10);
    out.push_back(std::move(l));
  }
}

}  // namespace

std::vector<Listener> tcp_listeners(bool owners) {
  std::vector<Listener> out;
  read_table("/proc/net/tcp", false, out);
  read_table("/proc/net/tcp6", true, out);
  std::sort(out.begin(), out.end(), [](const Listener& a, const Listener& b) {
    return std::tie(a.port, a.address) < std::tie(b.port, b.address);
  });
  if (!owners || out.empty()) {
    return out;
  }
  // One pass over every process's open files: socket inode -> pid.
  std::map<std::uint64_t, int> owner;
  std::set<std::uint64_t> wanted;
  for (const auto& l : out) {
    wanted.insert(l.inode);
  }
  std::error_code ec;
  for (const auto& proc : fs::directory_iterator("/proc", ec)) {
    const std::string name = proc.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) {
      continue;
    }
    std::error_code fd_ec;
    for (const auto& fd : fs::directory_iterator(proc.path() / "fd", fd_ec)) {
      std::error_code link_ec;
      const std::string target = fs::read_symlink(fd.path(), link_ec).string();
      if (link_ec || target.rfind("socket:[", 0) != 0) {
        continue;
      }
      const std::uint64_t inode = std::strtoull(target.c_str() + 8, nullptr, 10);
      if (wanted.count(inode) && !owner.count(inode)) {
        owner[inode] = std::atoi(name.c_str());
      }
    }
  }
  for (auto& l : out) {
    if (auto it = owner.find(l.inode); it != owner.end()) {
      l.pid = it->second;
      std::ifstream comm("/proc/" + std::to_string(it->second) + "/comm");
      std::getline(comm, l.process);
    }
  }
  return out;
}

std::set<std::uint16_t> busy_ports() {
  std::set<std::uint16_t> out;
  for (const auto& l : tcp_listeners(false)) {
    out.insert(l.port);
  }
  return out;
}

std::optional<std::pair<std::uint16_t, std::uint16_t>> ephemeral_range() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned first = 0, last = 0;
  if (!(in >> first >> last) || first < 1 || last > 65535 || first > last) {
    return std::nullopt;
  }
  return std::make_pair(static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last));
}

std::set<std::uint16_t> kernel_reserved_ports() {
  std::set<std::uint16_t> out;
  std::ifstream in("/proc/sys/net/ipv4/ip_local_reserved_ports");
  std::string text;
  std::getline(in, text);
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    const auto dash = item.find('-');
    const unsigned long first = std::strtoul(item.c_str(), nullptr, 10);
    const unsigned long last =
        dash == std::string::npos ? first : std::strtoul(item.c_str() + dash + 1, nullptr, 10);
    for (unsigned long p = first; p >= 1 && p <= last && p <= 65535; ++p) {
      out.insert(static_cast<std::uint16_t>(p));
    }
  }
  return out;
}

namespace {

// Who holds a port in the store.
struct Holder {
  std::string who;                             // "backend of 'm' app 1", "lease 'pr-56'"
  std::string project;                         // the app's compose project, if an app
  std::vector<std::filesystem::path> folders;  // the app's folders on this host
};

std::map<std::uint16_t, Holder> held_ports(const Store& store) {
  std::map<std::uint16_t, Holder> held;
  const auto uses = store.all_uses();
  for (const auto& r : store.list()) {
    std::vector<std::filesystem::path> folders;
    if (const auto it = uses.find(r.key); it != uses.end()) {
      for (const auto& u : it->second.uses) {
        if (u.kind == "app") {
          folders.emplace_back(u.path);
        }
      }
    }
    for (const auto& p : r.ports) {
      held[p.port] = {p.name + " of " + describe(r.key), r.project, folders};
    }
  }
  for (const auto& l : store.leases(std::nullopt)) {
    held[l.port] = {"lease " + quote(l.id), "", {}};
  }
  return held;
}

// Whether the listener's process runs from one of the app's folders (its working folder lies
// in it): the app itself, run the way its README says (`python app.py` in backend/).
bool runs_from(const Listener& l, const std::vector<std::filesystem::path>& folders) {
  std::error_code ec;
  if (!l.pid || folders.empty()) {
    return false;
  }
  const auto cwd =
      std::filesystem::read_symlink("/proc/" + std::to_string(*l.pid) + "/cwd", ec).string();
  return !ec && std::any_of(folders.begin(), folders.end(), [&](const auto& f) {
    const std::string folder = f.string();
    return cwd == folder || cwd.rfind(folder + "/", 0) == 0;
  });
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out;
}

// A held port something listens on: a container (docker-proxy, expected for its own project)
// or taken by another process.
nlohmann::json listened_finding(std::uint16_t port, const Holder& h,
                                const std::vector<const Listener*>& ls) {
  std::vector<std::string> addresses;
  std::set<std::string> who;
  bool container = true, itself = true;
  for (const auto* l : ls) {
    addresses.push_back(l->address);
    who.insert(l->pid ? l->process + " (pid " + std::to_string(*l->pid) + ")"
                      : "an unknown process (not visible to this user)");
    container = container && l->process == "docker-proxy";
    itself = itself && runs_from(*l, h.folders);
  }
  const std::string by = joined({who.begin(), who.end()});
  const std::string on = joined(addresses);
  nlohmann::json f = {
      {"port", port}, {"held_by", h.who}, {"process", by}, {"addresses", addresses}};
  if (itself) {
    f["kind"] = "running";
    f["message"] = "port " + std::to_string(port) + " (" + h.who +
                   ") is served by the app itself (" + by + ", running in its folder) on " +
                   joined(addresses);
  } else if (container) {
    f["kind"] = "container";
    f["message"] = "port " + std::to_string(port) + " (" + h.who +
                   ") is published by a container (" + by + ") on " + on +
                   ": expected when it is " +
                   (h.project.empty() ? std::string("its owner's") : quote(h.project) + "'s") +
                   " own compose project (`docker ps` shows which)";
  } else {
    f["kind"] = "taken";
    f["message"] = "port " + std::to_string(port) + " (" + h.who + ") is taken by " + by +
                   ", listening on " + on;
  }
  return f;
}

// A pool range that overlaps the kernel's ephemeral range, or holds its reserved ports.
void range_findings(const std::string& pool, const PortRange& r,
                    const std::optional<std::pair<std::uint16_t, std::uint16_t>>& ephemeral,
                    const std::set<std::uint16_t>& reserved, nlohmann::json& out) {
  const std::string range = r.name + "=" + std::to_string(r.first) + "-" + std::to_string(r.last);
  if (ephemeral && r.first <= ephemeral->second && r.last >= ephemeral->first) {
    out.push_back(
        {{"kind", "ephemeral"},
         {"pool", pool},
         {"range", range},
         {"message",
          "pool " + quote(pool) + " range " + range + " overlaps the kernel's ephemeral range " +
              std::to_string(ephemeral->first) + "-" + std::to_string(ephemeral->second) +
              " (ip_local_port_range): an outgoing connection may hold one "
              "of its ports when an app starts"}});
  }
  std::size_t in_range = 0;
  for (auto it = reserved.lower_bound(r.first); it != reserved.end() && *it <= r.last; ++it) {
    ++in_range;
  }
  if (in_range > 0) {
    out.push_back({{"kind", "reserved"},
                   {"pool", pool},
                   {"range", range},
                   {"message", "pool " + quote(pool) + " range " + range + " holds " +
                                   std::to_string(in_range) +
                                   " port(s) of ip_local_reserved_ports: the kernel never hands "
                                   "them to outgoing connections (good for reservations)"}});
  }
}

}  // namespace

HostReport check_host(const Store& store) {
  HostReport report;
  const auto listeners = tcp_listeners(true);
  report.listeners = listeners.size();
  const auto held = held_ports(store);
  std::map<std::uint16_t, std::vector<const Listener*>> on_port;
  for (const auto& l : listeners) {
    if (held.count(l.port)) {
      on_port[l.port].push_back(&l);
    }
  }
  for (const auto& [port, ls] : on_port) {
    report.findings.push_back(listened_finding(port, held.at(port), ls));
    report.taken += report.findings.back()["kind"] == "taken";
  }
  const auto ephemeral = ephemeral_range();
  const auto reserved = kernel_reserved_ports();
  for (const auto& pool : store.pools()) {
    for (const auto& r : pool.ports) {
      range_findings(pool.name, r, ephemeral, reserved, report.findings);
    }
  }
  return report;
}

std::vector<std::pair<std::string, std::string>> user_homes() {
  std::vector<std::pair<std::string, std::string>> out;
  ::setpwent();
  while (const struct passwd* p = ::getpwent()) {
    if (p->pw_name && p->pw_dir && *p->pw_dir) {
      out.emplace_back(p->pw_name, p->pw_dir);
    }
  }
  ::endpwent();
  return out;
}

}  // namespace berth
