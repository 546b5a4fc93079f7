#include "generator/cli/command.hpp"

namespace berth {

namespace {

// The user's own store, when it holds apps that the host store does not see.
void mention_user_store(const std::filesystem::path& host) {
  std::filesystem::path mine;
  try {
    mine = Store::user_dir();
  } catch (const Error&) {
    return;  // no $HOME: no store of one's own either
  }
  std::error_code ec;
  if (!Store::exists_in(mine) || std::filesystem::equivalent(mine, host, ec)) {
    return;
  }
  std::cout << "your own store " << quote(mine.string())
            << " exists: move its apps here with `berth --store " << mine.string()
            << " export > apps.json` and `berth --store " << host.string()
            << " import apps.json`\n";
}

}  // namespace

// berth init [--host [--group NAME]]
Command add_init(CLI::App& app, const Options& o) {
  struct Vars {
    bool host = false;
    std::string group = "berth";
  };
  const auto v = std::make_shared<Vars>();
  auto* init = app.add_subcommand(
      "init", "Create the store (with --host: the one store every user of this host shares)");
  init->add_flag("--host", v->host,
                 "Create the host store ($BERTH_HOST_STORE, else /var/lib/berth), shared by a "
                 "group; when it exists it is every user's default store");
  init->add_option("--group", v->group, "The group that shares the host store (default: berth)")
      ->type_name("NAME");
  const auto run = [&o, v, init]() -> int {
    if (init->count("--group") > 0 && !v->host) {
      throw usage_error("--group is for --host: a user's own store is not shared");
    }
    refuse_empty(init, "--group", v->group);
    if (!v->host) {
      const Store store = open_store(o);
      std::cout << "store " << quote(store.dir().string()) << " is ready\n";
      return 0;
    }
    if (o.store_given) {
      throw usage_error(
          "give --host or --store, not both: the host store's place is $BERTH_HOST_STORE, else "
          "/var/lib/berth");
    }
    const auto dir = Store::host_dir();
    Store::init_shared(dir, v->group);
    std::cout << "host store " << quote(dir.string()) << " is ready, shared by group "
              << quote(v->group)
              << ": every user of this host in that group now uses it by default\n";
    mention_user_store(dir);
    return 0;
  };
  return {init, run};
}

// berth migrate: upgrade an older store now (any command that writes would), keeping a copy.
Command add_migrate(CLI::App& app, const Options& o) {
  auto* sub = app.add_subcommand(
      "migrate", "Upgrade an older store to this berth's schema, keeping a copy of it as it was");
  const auto run = [&o]() -> int {
    if (!Store::exists_in(store_dir(o))) {
      throw usage_error("no berth store in " + quote(store_dir(o).string()) +
                        ": nothing to upgrade; check --store or $BERTH_STORE");
    }
    const Store store = open_store(o);
    std::cout << "store " << quote(store.dir().string()) << " is at schema "
              << Store::k_schema_version
              << (store.upgraded() ? " (upgraded)" : ", this berth's: nothing to do") << '\n';
    return 0;
  };
  return {sub, run};
}

}  // namespace berth
