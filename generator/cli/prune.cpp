#include "generator/health/prune.hpp"
#include "generator/cli/command.hpp"
#include "generator/health/prune_build.hpp"
#include "store/keys.hpp"

namespace berth {

using nlohmann::json;

namespace {

void print_prune_json(const PruneResult& result, const PruneChoice& choice, bool dry_run,
                      bool unused) {
  json released = json::array();
  for (const auto& r : result.released) {
    json j = to_json(r);
    j["reason"] = choice.why.at(r.key).why;
    j["gone"] = choice.why.at(r.key).paths;
    released.push_back(j);
  }
  json leases = json::array();
  for (const auto& l : result.leases) {
    leases.push_back(to_json(l));
  }
  json kept = json::array();
  for (const auto& k : result.kept) {
    json one = {{"model", k.model}, {"app", k.app}};
    if (!k.ns.empty()) {
      one["namespace"] = k.ns;
    }
    kept.push_back(one);
  }
  print_json({{"dry_run", dry_run},
              {"released", released},
              {"leases", leases},
              {"kept", kept},
              {"without_use", unused ? 0 : choice.without_use}});
}

void print_prune(const PruneResult& result, const PruneChoice& choice, bool dry_run, bool unused) {
  const std::string verb = dry_run ? "would release " : "released ";
  for (const auto& r : result.released) {
    std::string ports;
    for (const auto& p : r.ports) {
      ports += (ports.empty() ? "" : ", ") + p.name + " " + std::to_string(p.port);
    }
    const PruneReason& c = choice.why.at(r.key);
    std::cout << verb << describe(r.key) << " (" << ports << "; " << r.project << "): "
              << (c.why == "unused" ? "no recorded use" : "gone: " + keys::join(c.paths, ", "))
              << '\n';
  }
  for (const auto& l : result.leases) {
    std::cout << (dry_run ? "would free lease " : "freed lease ") << quote(l.id) << " (pool "
              << quote(l.pool) << ", port " << l.port << ", last active " << iso_utc(l.last_active)
              << ")\n";
  }
  for (const auto& k : result.kept) {
    std::cout << "kept " << describe(k)
              << ": used again while pruning (a use was recorded, or its folder is back)\n";
  }
  if (result.released.empty() && result.leases.empty()) {
    std::cout << "nothing to prune\n";
  } else {
    std::cout << verb << result.released.size() << " reservation(s) and " << result.leases.size()
              << " lease(s)" << (dry_run ? "; nothing changed (--dry-run)" : "") << '\n';
  }
  if (!unused && choice.without_use > 0) {
    std::cout << choice.without_use
              << " reservation(s) have no recorded use and were left alone; --unused releases "
                 "them (see `berth list`)\n";
  }
}

// prune --build --json: one object per dropped app.
void print_build_prune_json(const std::vector<BuildPruneApp>& apps, bool dry_run) {
  json list = json::array();
  for (const auto& a : apps) {
    json kept = json::array();
    for (const auto& [path, why] : a.folder.kept) {
      kept.push_back({{"path", path}, {"why", why}});
    }
    json used = json::array();
    for (const auto& u : a.still_used) {
      used.push_back(to_json(u));
    }
    json j = {{"model", a.app.key.model},
              {"app", a.app.key.app},
              {"out", a.app.out},
              {"released", a.released.has_value()},
              {"removed", a.folder.removed},
              {"kept", kept},
              {"still_used", used}};
    if (!a.app.key.ns.empty()) {
      j["namespace"] = a.app.key.ns;
    }
    list.push_back(j);
  }
  print_json({{"dry_run", dry_run}, {"dropped", list}});
}

// prune --build: one paragraph per dropped app.
void print_build_prune(const std::vector<BuildPruneApp>& apps, bool dry_run) {
  for (const auto& a : apps) {
    const std::string files = std::to_string(a.folder.removed.size()) + " file(s) of berth's " +
                              (dry_run ? "would be " : "") + "removed from " + a.app.out;
    if (a.released) {
      std::cout << (dry_run ? "would release " : "released ") << describe(a.app.key) << " ("
                << a.released->project << "); " << files << '\n';
    } else if (!a.still_used.empty()) {
      std::string where;
      for (const auto& u : a.still_used) {
        where += (where.empty() ? "" : ", ") + u.kind + " " + u.path;
      }
      std::cout << "kept the reservation of " << describe(a.app.key) << ": still used by " << where
                << "; " << files << '\n';
    } else {
      std::cout << describe(a.app.key) << " is no longer reserved; " << files << '\n';
    }
    for (const auto& [path, why] : a.folder.kept) {
      std::cout << "  kept " << quote(path) << ": " << why << '\n';
    }
  }
  if (apps.empty()) {
    std::cout << "nothing to prune: this build tree dropped no app\n";
  }
}

struct PruneVars {
  bool dry_run = false, unused = false;
  std::string older_than, model, owner, build;
};

void add_prune_options(CLI::App* prune, PruneVars& v) {
  prune->add_flag("--dry-run", v.dry_run, "List what would be released; change nothing");
  prune
      ->add_option("--older-than", v.older_than,
                   "Only apps last seen (unused: created) longer ago than this (30d, 12h)")
      ->type_name("DURATION");
  prune->add_option("--model", v.model, "Only this model's apps (leases are then left alone)");
  prune
      ->add_option("--owner", v.owner,
                   "Only the apps this project owns (leases are then left alone)")
      ->type_name("PROJECT");
  prune->add_flag("--unused", v.unused,
                  "Also release reservations with no recorded use (made by `berth reserve`, or "
                  "before berth recorded uses)");
  prune
      ->add_option("--build", v.build,
                   "Only the apps this CMake build tree declared before and no longer declares: "
                   "release them and remove berth's files from their folders")
      ->type_name("DIR");
}

// prune --build DIR: what that build tree dropped.
int run_build_prune(const Options& o, const CLI::App* prune, const PruneVars& v) {
  refuse_empty(prune, "--build", v.build);
  for (const char* other : {"--model", "--owner", "--older-than", "--unused"}) {
    if (prune->count(other) > 0) {
      throw usage_error(std::string("--build takes no ") + other +
                        ": it prunes what that build tree dropped");
    }
  }
  Store store = open_store(o, v.dry_run);
  const auto pruned = prune_build(store, v.build, v.dry_run);
  o.json ? print_build_prune_json(pruned, v.dry_run) : print_build_prune(pruned, v.dry_run);
  return 0;
}

// The filter of --model, --owner, --namespace, --older-than and --unused.
PruneFilter filter_of(const Options& o, const CLI::App* prune, const PruneVars& v) {
  PruneFilter filter;
  filter.apps = app_filter(o, prune, v.model, v.owner);
  filter.older =
      prune->count("--older-than") > 0 ? parse_duration(v.older_than, "--older-than") : 0;
  filter.unused = v.unused;
  return filter;
}

}  // namespace

// berth prune [--dry-run] [--older-than D] [--model M] [--owner P] [--unused] | --build DIR
Command add_prune(CLI::App& app, const Options& o) {
  const auto v = std::make_shared<PruneVars>();
  auto* prune = app.add_subcommand(
      "prune",
      "Release every reservation whose recorded app folders, build trees and lock files are all "
      "gone from this host, and expired leases");
  add_prune_options(prune, *v);
  const auto run = [&o, v, prune]() -> int {
    if (prune->count("--build") > 0) {
      return run_build_prune(o, prune, *v);
    }
    const PruneFilter filter = filter_of(o, prune, *v);
    Store store = open_store(o, v->dry_run);
    const PruneChoice choice = choose_prune(store, filter, Store::now(), [](const std::string& w) {
      std::cerr << "berth: warning: " << w << '\n';
    });
    fault_stall_before_prune();
    const PruneResult result =
        store.prune(choice.chosen, filter.everything(), v->dry_run, still_gone);
    if (o.json) {
      print_prune_json(result, choice, v->dry_run, v->unused);
    } else {
      print_prune(result, choice, v->dry_run, v->unused);
    }
    return 0;
  };
  return {prune, run};
}

}  // namespace berth
