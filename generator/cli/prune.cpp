#include "generator/health/prune.hpp"
#include "generator/cli/command.hpp"
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

}  // namespace

// berth prune [--dry-run] [--older-than D] [--model M] [--unused]
Command add_prune(CLI::App& app, const Options& o) {
  struct Vars {
    bool dry_run = false, unused = false;
    std::string older_than, model, owner;
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
  prune
      ->add_option("--owner", v->owner,
                   "Only the apps this project owns (leases are then left alone)")
      ->type_name("PROJECT");
  prune->add_flag("--unused", v->unused,
                  "Also release reservations with no recorded use (made by `berth reserve`, or "
                  "before berth recorded uses)");
  const auto run = [&o, v, prune]() -> int {
    PruneFilter filter;
    filter.apps = namespace_filter(o);
    if (prune->count("--model") > 0) {
      validate_model(v->model);
      filter.apps.model = v->model;
    }
    if (prune->count("--owner") > 0) {
      validate_owner(v->owner);
      filter.apps.owner = v->owner;
    }
    filter.older =
        prune->count("--older-than") > 0 ? parse_duration(v->older_than, "--older-than") : 0;
    filter.unused = v->unused;
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
