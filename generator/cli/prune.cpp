#include "generator/cli/command.hpp"
#include "store/keys.hpp"

namespace berth {

using nlohmann::json;

namespace {

// Whether the path is certainly gone from this host (an unreadable parent is not "gone").
bool gone(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::symlink_status(path, ec);
  return st.type() == std::filesystem::file_type::not_found;
}

struct Candidate {
  std::string why;  // "gone" or "unused"
  std::vector<std::string> paths;
};

}  // namespace

// berth prune [--dry-run] [--older-than D] [--model M] [--unused]
Command add_prune(CLI::App& app, const Options& o) {
  struct Vars {
    bool dry_run = false, unused = false;
    std::string older_than, model;
  };
  const auto v = std::make_shared<Vars>();
  auto* prune = app.add_subcommand(
      "prune",
      "Release every reservation whose recorded app folders, build trees and lock files are all "
      "gone from this host, and expired leases");
  prune->add_flag("--dry-run", v->dry_run, "List what would be released; change nothing");
  prune
      ->add_option("--older-than", v->older_than,
                   "Only apps last seen (unused: created) longer ago than this (30d, 12h)")
      ->type_name("DURATION");
  prune->add_option("--model", v->model, "Only this model's apps (leases are then left alone)");
  prune->add_flag("--unused", v->unused,
                  "Also release reservations with no recorded use (made by `berth reserve`, or "
                  "before berth recorded uses)");
  const auto run = [&o, v, prune]() -> int {
    std::optional<std::string> model;
    if (prune->count("--model") > 0) {
      validate_model(v->model);
      model = v->model;
    }
    // Seconds an app must have been gone (or, unused, reserved) for; 0: any time.
    const std::int64_t older =
        v->older_than.empty() ? 0 : parse_duration(v->older_than, "--older-than");
    Store store = open_store(o);
    const std::int64_t now = Store::now();
    const auto all = store.all_uses();  // every app: a lock file may be any app's use

    // Apps that a lock file on this host pins, while it exists: never pruned.
    std::set<AppKey> locked;
    std::set<std::string> locks;
    for (const auto& [key, uses] : all) {
      for (const auto& u : uses.uses) {
        if (u.kind == "lock" && !gone(u.path)) {
          locks.insert(u.path);
        }
      }
    }
    for (const auto& path : locks) {
      try {
        for (const auto& [key, entry] : read_lock(path)) {
          locked.insert(key);
        }
      } catch (const Error& e) {
        std::cerr << "berth: warning: " << e.what() << " (the apps it lists are kept)\n";
      }
    }

    std::map<AppKey, AppUses> chosen;
    std::map<AppKey, Candidate> why;
    std::size_t without_use = 0;
    for (const auto& [key, uses] : all) {
      if (locked.count(key) || (model && key.model != *model)) {
        continue;
      }
      if (uses.uses.empty()) {
        ++without_use;
        if (v->unused && (older == 0 || uses.created + older <= now)) {
          chosen[key] = uses;
          why[key] = {"unused", {}};
        }
        continue;
      }
      std::int64_t last_seen = 0;
      bool all_gone = true;
      Candidate c{"gone", {}};
      for (const auto& u : uses.uses) {
        all_gone = all_gone && gone(u.path);
        last_seen = std::max(last_seen, u.seen);
        c.paths.push_back(u.path);
      }
      if (all_gone && (older == 0 || last_seen + older <= now)) {
        chosen[key] = uses;
        why[key] = c;
      }
    }
    const PruneResult result = store.prune(chosen, !model, v->dry_run);

    if (o.json) {
      json released = json::array();
      for (const auto& r : result.released) {
        json j = to_json(r);
        j["reason"] = why[r.key].why;
        j["gone"] = why[r.key].paths;
        released.push_back(j);
      }
      json leases = json::array();
      for (const auto& l : result.leases) {
        leases.push_back(to_json(l));
      }
      json kept = json::array();
      for (const auto& k : result.kept) {
        kept.push_back({{"model", k.model}, {"app", k.app}});
      }
      print_json({{"dry_run", v->dry_run},
                  {"released", released},
                  {"leases", leases},
                  {"kept", kept},
                  {"without_use", v->unused ? 0 : without_use}});
      return 0;
    }
    const std::string verb = v->dry_run ? "would release " : "released ";
    for (const auto& r : result.released) {
      std::string ports;
      for (const auto& p : r.ports) {
        ports += (ports.empty() ? "" : ", ") + p.name + " " + std::to_string(p.port);
      }
      const Candidate& c = why[r.key];
      std::cout << verb << describe(r.key) << " (" << ports << "; " << r.project << "): "
                << (c.why == "unused" ? "no recorded use" : "gone: " + keys::join(c.paths, ", "))
                << '\n';
    }
    for (const auto& l : result.leases) {
      std::cout << (v->dry_run ? "would free lease " : "freed lease ") << quote(l.id) << " (pool "
                << quote(l.pool) << ", port " << l.port << ", last active "
                << iso_utc(l.last_active) << ")\n";
    }
    for (const auto& k : result.kept) {
      std::cout << "kept " << describe(k) << ": a use was recorded while pruning\n";
    }
    if (result.released.empty() && result.leases.empty()) {
      std::cout << "nothing to prune\n";
    } else {
      std::cout << (v->dry_run ? "would release " : "released ") << result.released.size()
                << " reservation(s) and " << result.leases.size() << " lease(s)"
                << (v->dry_run ? "; nothing changed (--dry-run)" : "") << '\n';
    }
    if (!v->unused && without_use > 0) {
      std::cout << without_use
                << " reservation(s) have no recorded use and were left alone; --unused releases "
                   "them (see `berth list`)\n";
    }
    return 0;
  };
  return {prune, run};
}

}  // namespace berth
