#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

namespace {

struct Vars {
  std::string ps_name;
  std::vector<std::string> ps_ranges;
  int ps_step = 1;
  bool ps_ephemeral = false;
  bool ps_lease = false, ps_extra = false;
  std::string pr_name;
  std::vector<std::string> ex_ports;
  std::vector<std::string> in_ports;
};

// The pool subcommands that change something, each with its options (`show` has none).
struct Subs {
  CLI::App* set;
  CLI::App* remove;
  CLI::App* exclude;
  CLI::App* include;
};

Subs add_subcommands(CLI::App* pool, Vars& v) {
  pool->add_subcommand("show", "Show pools and excluded ports (the default)");
  auto* set = pool->add_subcommand("set", "Create or change a pool");
  set->add_option("name", v.ps_name, "Pool name")->required();
  set->add_option("--range", v.ps_ranges, "A named port's range: NAME=FIRST-LAST (repeatable)")
      ->type_name("NAME=FIRST-LAST")
      ->required();
  set->add_option("--step", v.ps_step, "Distance between a port's slots")->capture_default_str();
  set->add_flag("--lease", v.ps_lease,
                "A lease pool: one range whose ports `berth lease acquire` hands out (a lease "
                "pool stays one)");
  set->add_flag("--extra", v.ps_extra,
                "An extra pool: one range, each port an app's extra port beside its own pool's "
                "(the Kubernetes NodePort pool; an extra pool stays one)");
  set->add_flag("--allow-ephemeral", v.ps_ephemeral,
                "Allow ranges inside the ephemeral range 32768-60999");
  auto* remove = pool->add_subcommand("remove", "Remove a pool that holds no reservation");
  remove->add_option("name", v.pr_name, "Pool name")->required();
  auto* exclude = pool->add_subcommand("exclude", "Never hand out these ports");
  exclude->add_option("ports", v.ex_ports, "Ports")->required();
  auto* include = pool->add_subcommand("include", "Hand out these excluded ports again");
  include->add_option("ports", v.in_ports, "Ports")->required();
  return {set, remove, exclude, include};
}

// `pool set`: the pool as given; a lease or extra pool stays one.
void set_pool(Store& store, const Vars& v) {
  Pool p;
  p.name = v.ps_name;
  if (v.ps_step < 1 || v.ps_step > 65535) {
    throw usage_error("--step " + std::to_string(v.ps_step) + " must be 1 to 65535");
  }
  p.step = static_cast<std::uint16_t>(v.ps_step);
  for (const auto& r : v.ps_ranges) {
    p.ports.push_back(parse_range(r));
  }
  p.lease = v.ps_lease;
  p.extra = v.ps_extra;
  for (const auto& existing : store.pools()) {
    p.lease = p.lease || (existing.name == p.name && existing.lease);
    p.extra = p.extra || (existing.name == p.name && existing.extra);
  }
  store.set_pool(p, v.ps_ephemeral);
}

void change_excluded(Store& store, const std::vector<std::string>& ports, bool exclude) {
  auto excluded = store.excluded();
  for (const auto& text : ports) {
    const auto port = validate_port(parse_int(text, "port"), "port");
    if (exclude) {
      excluded.insert(port);
    } else {
      excluded.erase(port);
    }
  }
  store.set_excluded(excluded);
}

void print_pools(const Store& store, bool as_json) {
  const auto pools = store.pools();
  const auto excluded = store.excluded();
  if (as_json) {
    json j = json::array();
    for (const auto& p : pools) {
      j.push_back(to_json(p));
    }
    print_json({{"pools", j}, {"excluded", excluded}});
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"Pool", "Ports", "Step", "Capacity", "Kind"}};
  for (const auto& p : pools) {
    std::string ranges;
    for (const auto& r : p.ports) {
      ranges += (ranges.empty() ? "" : " ") + range_text(r);
    }
    rows.push_back({p.name, ranges, std::to_string(p.step), std::to_string(p.capacity()),
                    p.lease   ? "lease"
                    : p.extra ? "extra"
                              : "apps"});
  }
  print_table(std::cout, rows);
  std::string ex;
  for (auto port : excluded) {
    ex += (ex.empty() ? "" : " ") + std::to_string(port);
  }
  std::cout << "Excluded: " << (ex.empty() ? "none" : ex) << '\n';
}

}  // namespace

// berth pool [show|set|remove|exclude|include]
Command add_pool(CLI::App& app, const Options& o) {
  const auto v = std::make_shared<Vars>();
  auto* pool = app.add_subcommand("pool", "Show and change pools and excluded ports");
  const Subs subs = add_subcommands(pool, *v);
  pool->require_subcommand(0, 1);
  return {pool, [&o, v, subs]() -> int {
            const bool changes = *subs.set || *subs.remove || *subs.exclude || *subs.include;
            Store store = open_store(o, !changes);  // `pool show` only reads
            if (*subs.set) {
              set_pool(store, *v);
            } else if (*subs.remove) {
              store.remove_pool(v->pr_name);
            } else if (*subs.exclude) {
              change_excluded(store, v->ex_ports, true);
            } else if (*subs.include) {
              change_excluded(store, v->in_ports, false);
            }
            print_pools(store, o.json);
            return 0;
          }};
}

}  // namespace berth
