#include "store/state.hpp"

#include <nlohmann/json.hpp>

#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/keys.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
using namespace keys;

// An extra pool by name; the nodeport pool is created (node=30000-32099) on first use.
const Pool& State::extra_pool(const std::string& name) {
  if (!m_pools.count(name) && name == k_nodeport_pool) {
    Pool p{k_nodeport_pool, {{"node", 30000, 32099}}, 1};
    p.extra = true;
    try {
      check_pool_change(p, false);
    } catch (const Error& e) {
      throw usage_error(
          "pool 'nodeport' does not exist and its default range node=30000-32099 "
          "cannot be made: " +
          std::string(e.what()) +
          ". Create it with `berth pool set nodeport --extra --range "
          "node=FIRST-LAST` (your cluster's service-node-port-range)");
    }
    put_pool(p);
  }
  const Pool& p = pool(name);
  if (!p.extra) {
    throw usage_error("pool " + quote(name) +
                      " is not an extra pool (berth pool set --extra): an app's extra ports "
                      "come from extra pools only");
  }
  return p;
}

// The port of each extra pool of `req` that `r` lacks, without writing anything: the pinned
// one (by the pool's range name; it must lie in the range), else the lowest free one. Ports
// in `taken` are stepped over, and the chosen ones added to it.
std::vector<std::pair<std::string, NamedPort>> State::choose_extra(const Reservation& r,
                                                                   const ReserveRequest& req,
                                                                   std::set<std::uint16_t>& taken) {
  std::vector<std::pair<std::string, NamedPort>> out;
  for (const auto& name : missing_extra(r, req)) {
    const Pool& pool = extra_pool(name);
    const PortRange& range = pool.ports[0];
    if (r.port(range.name)) {
      throw usage_error(describe(r.key) + " already has a port named " + quote(range.name) +
                        "; extra pool " + quote(name) + " cannot add another");
    }
    std::optional<std::uint16_t> port;
    if (auto pin = req.pins.find(range.name); pin != req.pins.end()) {
      const std::uint16_t p = pin->second;
      if (p < range.first || p > range.last || (p - range.first) % pool.step != 0) {
        throw usage_error("port " + std::to_string(p) + " (" + range.name + ") for " +
                          describe(r.key) + " is not a port of extra pool " + quote(name) + " (" +
                          range.name + "=" + std::to_string(range.first) + "-" +
                          std::to_string(range.last) + ")");
      }
      check_pin(p, range.name, r.key, taken);
      port = p;
    } else {
      for (std::uint32_t p = range.first; p <= range.last && !port; p += pool.step) {
        const auto candidate = static_cast<std::uint16_t>(p);
        if (!m_excluded.count(candidate) && !taken.count(candidate) &&
            !m_txn.has(Db::ports, port_key(candidate))) {
          port = candidate;
        }
      }
      if (!port) {
        throw runtime_error("extra pool " + quote(name) + " is full: all " +
                            std::to_string(pool.capacity()) +
                            " ports are held or excluded; release apps or widen it (berth "
                            "pool set " +
                            name + " --extra)");
      }
    }
    taken.insert(*port);
    out.push_back({name, {range.name, *port}});
  }
  return out;
}

}  // namespace berth
