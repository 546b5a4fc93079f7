#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// What this host is doing with its ports, read from /proc (Linux): TCP listeners over IPv4 and
// IPv6 with the processes that hold them, the kernel's ephemeral range and reserved ports.
namespace berth {

struct Listener {
  std::uint16_t port = 0;
  std::string address;  // "127.0.0.1", "::1", "0.0.0.0", "::"
  std::uint64_t inode = 0;
  // The process holding the socket, when /proc/<pid>/fd shows it (root, or the same user).
  std::optional<int> pid;
  std::string process;  // its name (comm); empty when not visible
};

// Every TCP socket in LISTEN state, from /proc/net/tcp and /proc/net/tcp6 (each read once),
// sorted by port. With `owners`, each is matched to its process through one pass over
// /proc/*/fd. A missing tcp6 (no IPv6) is not an error.
std::vector<Listener> tcp_listeners(bool owners);

// The ports something listens on now (for `--skip-busy`).
std::set<std::uint16_t> busy_ports();

// /proc/sys/net/ipv4/ip_local_port_range, when readable.
std::optional<std::pair<std::uint16_t, std::uint16_t>> ephemeral_range();
// /proc/sys/net/ipv4/ip_local_reserved_ports ("8080,9000-9010"), expanded.
std::set<std::uint16_t> kernel_reserved_ports();

// Every account's (name, home folder) from the passwd database, in its order.
std::vector<std::pair<std::string, std::string>> user_homes();

class Store;

// berth check --host: every held port (reservations and leases) something listens on, and the
// pools against the kernel's ephemeral range and reserved ports. Findings, each
// {"kind", "message", ...}: "taken" (held by berth, listened on by another process),
// "container" (published by docker-proxy: expected when it is the app's own compose project),
// "running" (a process whose working folder lies in one of the app's folders: the app itself),
// "ephemeral" (a pool overlaps ip_local_port_range), "reserved" (a pool holds ports of
// ip_local_reserved_ports). /proc is read once, whatever the number of reservations.
struct HostReport {
  std::size_t listeners = 0;
  std::size_t taken = 0;
  nlohmann::json findings = nlohmann::json::array();
};
HostReport check_host(const Store& store);

}  // namespace berth
