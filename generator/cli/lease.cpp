#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

namespace {

void print_lease(const Options& o, const Lease& l) {
  if (o.json) {
    print_json(to_json(l));
  } else {
    std::cout << l.port << '\n';
  }
}

void print_leases(const std::vector<Lease>& leases, const char* verb) {
  for (const auto& l : leases) {
    std::cout << verb << ' ' << quote(l.id) << " (pool " << quote(l.pool) << ", port " << l.port
              << ", last active " << iso_utc(l.last_active) << ")\n";
  }
}

struct Vars {
  std::string id, pool, ttl, owner_pid;
  bool dry_run = false, busy_on = false, busy_off = false;
};

// The lease subcommands, each with its options.
struct Subs {
  CLI::App* acquire;
  CLI::App* renew;
  CLI::App* release;
  CLI::App* expire;
  std::vector<CLI::Option*> ttl;  // --ttl of acquire and renew: given, even empty, is parsed
};

Subs add_subcommands(CLI::App* lease, Vars& v) {
  auto* acquire = lease->add_subcommand(
      "acquire", "Print the port of ID's lease, renewing it, or lease the lowest free port");
  acquire->add_option("id", v.id, "Lease id (any UTF-8, up to 200 bytes)")->required();
  acquire->add_option("--pool", v.pool, "Lease pool (default: preview)");
  auto* acquire_ttl =
      acquire
          ->add_option("--ttl", v.ttl,
                       "Idle time before it may be reclaimed (default 15m; 0: never)")
          ->type_name("DURATION");
  acquire->add_option("--owner-pid", v.owner_pid, "Reclaimable once this process is gone")
      ->type_name("PID");
  // Leases are runtime ports: a port something listens on now is stepped over unless the store's
  // skip-busy setting is off or --no-skip-busy says so.
  acquire->add_flag("--skip-busy", v.busy_on,
                    "Step over ports something on this host listens on now (the default)");
  acquire->add_flag("--no-skip-busy", v.busy_off, "Do not step over them");
  auto* renew = lease->add_subcommand("renew", "Mark ID's lease active (and change its --ttl)");
  renew->add_option("id", v.id, "Lease id")->required();
  auto* renew_ttl = renew->add_option("--ttl", v.ttl, "A new idle time")->type_name("DURATION");
  auto* release = lease->add_subcommand("release", "Free ID's lease");
  release->add_option("id", v.id, "Lease id")->required();
  auto* expire = lease->add_subcommand(
      "expire", "Free every lease past its idle time or whose owner process is gone");
  expire->add_option("--pool", v.pool, "Only this lease pool");
  expire->add_flag("--dry-run", v.dry_run, "List them; free nothing");
  auto* list = lease->add_subcommand(
      "list",
      "Show leases (--json: each pool's ports, as the earlier preview backend showed them)");
  list->add_option("--pool", v.pool, "Only this lease pool (--json: default preview)");
  return {acquire, renew, release, expire, {acquire_ttl, renew_ttl}};
}

int acquire_lease(Store& store, const Options& o, const Vars& v,
                  const std::optional<std::int64_t>& ttl) {
  std::optional<std::int64_t> owner;
  if (!v.owner_pid.empty()) {
    owner = parse_int(v.owner_pid, "--owner-pid");
    if (*owner < 1 || *owner > INT32_MAX) {
      throw usage_error("--owner-pid " + quote(v.owner_pid) + " is not a process id");
    }
  }
  const bool skip = skip_busy(store, v.busy_on, v.busy_off, true);  // leases: on by default
  std::vector<Lease> reclaimed;
  const Lease l = store.acquire_lease(v.id, v.pool, ttl, owner, &reclaimed,
                                      skip ? busy_ports() : std::set<std::uint16_t>{});
  if (!o.json) {
    print_leases(reclaimed, "berth: reclaimed");
  }
  print_lease(o, l);
  return 0;
}

int expire_leases(Store& store, const Options& o, const Vars& v) {
  const auto gone = store.expire_leases(
      v.pool.empty() ? std::nullopt : std::optional<std::string>(v.pool), v.dry_run);
  if (o.json) {
    json j = json::array();
    for (const auto& l : gone) {
      j.push_back(to_json(l));
    }
    print_json(j);
  } else {
    print_leases(gone, v.dry_run ? "would expire" : "expired");
    std::cout << (v.dry_run ? "dry run: " : "") << gone.size() << " lease(s) "
              << (v.dry_run ? "would be freed" : "freed") << '\n';
  }
  return 0;
}

// The earlier preview backend's JSON view of one pool.
void print_pool_view(const Store& store, const std::string& name) {
  const auto leases = store.leases(name);
  json allocated = json::array();
  for (const auto& l : leases) {
    allocated.push_back({{"appId", l.id},
                         {"port", l.port},
                         {"lastActive", iso_utc(l.last_active)},
                         {"expires", l.expires() ? json(iso_utc(*l.expires())) : json(nullptr)}});
  }
  std::uint32_t available = 0;
  for (const auto& s : store.stats()) {
    available += s.pool == name ? s.free : 0;
  }
  print_json({{"pool", name},
              {"allocated", allocated},
              {"allocatedCount", leases.size()},
              {"availableCount", available}});
}

int list_leases(const Store& store, const Options& o, const Vars& v) {
  if (o.json) {
    print_pool_view(store, v.pool.empty() ? k_default_lease_pool : v.pool);
    return 0;
  }
  const auto leases =
      store.leases(v.pool.empty() ? std::nullopt : std::optional<std::string>(v.pool));
  if (leases.empty()) {
    std::cout << "no leases\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"Id", "Pool", "Port", "Last active", "Expires", "Owner"}};
  for (const auto& l : leases) {
    rows.push_back({l.id, l.pool, std::to_string(l.port), iso_utc(l.last_active),
                    l.expires() ? iso_utc(*l.expires()) : "never",
                    l.owner_pid > 0 ? std::to_string(l.owner_pid) : "-"});
  }
  print_table(std::cout, rows);
  return 0;
}

}  // namespace

// berth lease acquire|renew|release|expire|list
Command add_lease(CLI::App& app, const Options& o) {
  const auto v = std::make_shared<Vars>();
  auto* lease = app.add_subcommand(
      "lease", "Runtime leases: one port per id from a lease pool (preview containers)");
  const Subs subs = add_subcommands(lease, *v);
  lease->require_subcommand(1);
  const auto run = [&o, v, subs]() -> int {
    const bool changes = *subs.acquire || *subs.renew || *subs.release || *subs.expire;
    Store store = open_store(o, !changes);  // `lease list` only reads
    std::optional<std::int64_t> ttl;
    for (const auto* option : subs.ttl) {
      if (option->count() > 0) {
        ttl = parse_duration(v->ttl, "--ttl");
      }
    }
    if (*subs.acquire) {
      return acquire_lease(store, o, *v, ttl);
    }
    if (*subs.renew) {
      print_lease(o, store.renew_lease(v->id, ttl));
      return 0;
    }
    if (*subs.release) {
      const Lease l = store.release_lease(v->id);
      if (o.json) {
        print_json(to_json(l));
      } else {
        std::cout << "released " << quote(l.id) << " (port " << l.port << ")\n";
      }
      return 0;
    }
    return *subs.expire ? expire_leases(store, o, *v) : list_leases(store, o, *v);
  };
  return {lease, run};
}

}  // namespace berth
