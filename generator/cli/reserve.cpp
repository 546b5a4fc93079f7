#include <filesystem>

#include "generator/cli/command.hpp"
#include "generator/health/prune.hpp"

namespace berth {

using nlohmann::json;

namespace {

struct ReserveVars {
  std::string r_model, r_app, r_pool, r_batch;
  std::vector<std::string> r_pins, r_extra;
  std::string r_owner;
  bool busy_on = false, busy_off = false;
};

void add_reserve_options(CLI::App* reserve, ReserveVars& v) {
  reserve->add_option("model", v.r_model, "Model name (any UTF-8, up to 200 bytes)");
  reserve->add_option("app", v.r_app, "App number, 1 to 1000000");
  reserve->add_option("--pool", v.r_pool, "Pool to allocate from (default: apps)");
  reserve
      ->add_option("--owner", v.r_owner,
                   "The project the app belongs to (refused when another project owns it)")
      ->type_name("PROJECT");
  reserve->add_option("--port", v.r_pins, "Pin a port: NAME=PORT (repeatable)")
      ->type_name("NAME=PORT");
  reserve
      ->add_option("--extra", v.r_extra,
                   "Also hold a port of this extra pool (nodeport: a Kubernetes NodePort); an "
                   "existing reservation gains it (repeatable)")
      ->type_name("POOL");
  reserve
      ->add_option("--batch", v.r_batch,
                   "Reserve and release the entries of a JSON list, all or "
                   "nothing")
      ->type_name("FILE");
  add_skip_busy(reserve, v.busy_on, v.busy_off);
}

// --batch FILE: every entry in one transaction.
int reserve_batch(Store& store, const Options& o, const std::string& file,
                  const std::set<std::uint16_t>& avoid) {
  auto ops = parse_batch(file, namespace_of(o));
  for (auto& op : ops) {
    op.request.avoid = avoid;
  }
  auto results = store.apply(ops);
  if (o.json) {
    json out = json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
      json j = result_json(results[i]);
      j["op"] = ops[i].kind == BatchOp::Kind::release ? "release" : "reserve";
      out.push_back(j);
    }
    print_json(out);
    return 0;
  }
  // The reservations as a table, then each release as `berth release` says it.
  std::vector<Reservation> reserved;
  reserved.reserve(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (ops[i].kind == BatchOp::Kind::reserve) {
      reserved.push_back(std::move(results[i].reservation));
    }
  }
  if (!reserved.empty()) {
    print_reservations(std::cout, reserved);
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (ops[i].kind == BatchOp::Kind::release) {
      const Reservation& r = results[i].reservation;
      std::cout << "released " << describe(r.key) << " (" << r.project << ")\n";
    }
  }
  return 0;
}

// An app already reserved as asked, answered from the store opened read-only: opening it for
// writing costs a tenth of a short command. Anything else (a new app, a store to create, upgrade
// or mend, a conflict to report) is left to the store opened for writing.
std::optional<ReserveResult> reserved_as_asked(const Options& o, const ReserveRequest& req,
                                               const ReserveVars& v) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(store_dir(o) / "data.mdb", ec)) {
    return std::nullopt;
  }
  try {
    const Store store = open_store(o, true);
    skip_busy(store, v.busy_on, v.busy_off);  // only to refuse both flags, as a new app would
    return store.reserved(req);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// berth reserve MODEL N: the reservation made or found, printed.
int reserve_one(const Options& o, const ReserveVars& v, const CLI::App* reserve) {
  ReserveRequest req;
  req.key = app_key_of(o, v.r_model, v.r_app);
  req.pool = v.r_pool;
  req.pins = parse_pins(v.r_pins);
  req.extra = v.r_extra;
  if (reserve->count("--owner") > 0) {
    validate_owner(v.r_owner);
    req.owner = v.r_owner;
  }
  auto result = reserved_as_asked(o, req, v);
  if (!result) {
    Store store = open_store(o);
    if (skip_busy(store, v.busy_on, v.busy_off)) {
      req.avoid = busy_ports();
    }
    result = store.reserve(req);
  }
  if (o.json) {
    print_json(result_json(*result));
  } else {
    print_reservations(std::cout, {result->reservation});
  }
  return 0;
}

}  // namespace

// berth reserve MODEL N | --batch FILE
Command add_reserve(CLI::App& app, const Options& o) {
  const auto v = std::make_shared<ReserveVars>();
  auto* reserve = app.add_subcommand("reserve", "Get or allocate the ports of MODEL app N");
  add_reserve_options(reserve, *v);
  const auto run = [&o, v, reserve]() -> int {
    refuse_empty(reserve, "--pool", v->r_pool);
    if (!v->r_batch.empty()) {
      if (reserve->count("model") > 0 || !v->r_pool.empty() || !v->r_pins.empty() ||
          !v->r_extra.empty()) {
        throw usage_error("--batch FILE takes no MODEL, N, --pool, --port or --extra");
      }
      Store store = open_store(o);
      const std::set<std::uint16_t> avoid =
          skip_busy(store, v->busy_on, v->busy_off) ? busy_ports() : std::set<std::uint16_t>{};
      return reserve_batch(store, o, v->r_batch, avoid);
    }
    if (reserve->count("model") == 0 || v->r_app.empty()) {
      throw usage_error("reserve needs MODEL and N (or --batch FILE)");
    }
    return reserve_one(o, *v, reserve);
  };
  return {reserve, run};
}

// berth release MODEL N | MODEL --all
Command add_release(CLI::App& app, const Options& o) {
  struct Vars {
    std::string rel_model, rel_app;
    bool rel_all = false, rel_force = false;
  };
  const auto v = std::make_shared<Vars>();
  auto* release = app.add_subcommand("release", "Free the ports and name of MODEL app N");
  release->add_option("model", v->rel_model, "Model name")->required();
  release->add_option("app", v->rel_app, "App number");
  release->add_flag("--all", v->rel_all, "Release every app of MODEL");
  release->add_flag("--force", v->rel_force,
                    "Release even when the app's folders, build trees or lock file are still on "
                    "this host");
  const auto run = [&o, v, release]() -> int {
    if (v->rel_all == !v->rel_app.empty()) {
      throw usage_error(v->rel_all ? "give either an app number or --all, not both"
                                   : "release needs an app number, or --all for every app of " +
                                         quote(v->rel_model));
    }
    const AppKey key = app_key_of(o, v->rel_model, v->rel_all ? "1" : v->rel_app);
    Store store = open_store(o);
    if (!v->rel_force) {
      const auto keys = v->rel_all ? store.list(AppFilter{key.model, key.ns, std::nullopt})
                                   : std::vector<Reservation>{};
      for (const auto& r : keys) {
        check_release(store, r.key);
      }
      if (!v->rel_all) {
        check_release(store, key);
      }
    }
    const std::vector<Reservation> released = v->rel_all
                                                  ? store.release_model(key.model, key.ns)
                                                  : std::vector<Reservation>{store.release(key)};
    if (o.json) {
      json j = json::array();
      for (const auto& r : released) {
        j.push_back(to_json(r));
      }
      print_json(j);
    } else {
      for (const auto& r : released) {
        std::cout << "released " << describe(r.key) << " (" << r.project << ")\n";
      }
    }
    return 0;
  };
  return {release, run};
}

}  // namespace berth
