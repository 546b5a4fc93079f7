#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "generator/app/backfill.hpp"
#include "generator/cli/command.hpp"
#include "store/keys.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string ports_text(const Reservation& r) {
  std::string out;
  for (const auto& p : r.ports) {
    out += (out.empty() ? "" : " ") + p.name + "=" + std::to_string(p.port);
  }
  return out;
}

json app_json(const BackfillApp& a) {
  json kept = json::array();
  for (const auto& [path, why] : a.report.kept) {
    kept.push_back({{"path", path}, {"reason", why}});
  }
  json ports = json::object();
  for (const auto& p : a.result.reservation.ports) {
    ports[p.name] = p.port;
  }
  return {{"folder", a.folder},
          {"model", a.key.model},
          {"app", a.key.app},
          {"project", a.result.reservation.project},
          {"created", a.result.created},
          {"parts", a.parts},
          {"ports", ports},
          {"found_ports", a.found_ports},
          {"ports_from", a.ports_from.empty() ? json(nullptr) : json(a.ports_from)},
          {"ports_kept", a.ports_kept},
          {"port_notes", a.port_notes},
          {"added", a.report.written},
          {"replaced", a.report.replaced},
          {"kept", kept},
          {"starter_kept", a.report.started},
          {"unchanged", a.report.unchanged},
          {"removed", a.report.removed}};
}

// "model_a/app1: backend=5001 frontend=8001; 5 added, 2 kept, ..."
void print_app_line(std::ostream& out, const BackfillApp& a, bool dry_run, bool verbose) {
  const std::size_t added = a.report.written.size() - a.report.replaced.size();
  out << a.folder << ": " << ports_text(a.result.reservation)
      << (a.ports_kept ? " (kept from " + a.ports_from + ")" : "") << "; "
      << (dry_run ? "would add " : "added ") << added << ", kept " << a.report.kept.size() << ", "
      << (dry_run ? "would replace " : "replaced ") << a.report.replaced.size() << ", starter left "
      << a.report.started.size() << "; parts " << keys::join(a.parts, ",") << '\n';
  for (const auto& note : a.port_notes) {
    out << "  ports: " << note << '\n';
  }
  if (verbose || dry_run) {
    for (const auto& path : a.report.written) {
      const bool replace = std::find(a.report.replaced.begin(), a.report.replaced.end(), path) !=
                           a.report.replaced.end();
      out << "  " << (replace ? "replace " : "add ") << path << '\n';
    }
    for (const auto& [path, why] : a.report.kept) {
      out << "  keep " << path << ": " << why << '\n';
    }
  }
}

struct Vars {
  std::string root, model_map, parts;
  std::vector<std::string> apps;
  BackfillOptions options;
  bool verbose = false, busy_on = false, busy_off = false, keep_ports = false, new_ports = false;
};

void add_options(CLI::App* sub, Vars& v) {
  sub->add_option("root", v.root, "Folder holding <model>/app<N>/ folders")->required();
  sub->add_option("--template", v.options.template_name, "Template name or folder")
      ->capture_default_str();
  sub->add_option("--model", v.options.models, "Only this model (repeatable)");
  sub->add_option("--app", v.apps, "Only this app number (repeatable)");
  sub->add_option("--model-map", v.model_map, "JSON object: folder name -> model name")
      ->type_name("FILE");
  sub->add_option("--parts", v.parts,
                  "Parts every app gets, comma-separated (root and the template's; default: "
                  "the parts each app has)");
  sub->add_option("--pool", v.options.pool, "Pool to reserve from (default: apps)");
  sub->add_flag("--dry-run", v.options.dry_run, "Reserve and write nothing; print what would be");
  sub->add_flag("--force", v.options.force,
                "Replace files berth did not write, keeping each as <name>.berth-orig");
  sub->add_flag("--keep-ports", v.keep_ports,
                "Keep the ports an app's .env or compose file names, when free (the default)");
  sub->add_flag("--new-ports", v.new_ports,
                "Reserve fresh ports, rewriting the files that name the old ones (kept as "
                "<name>.berth-orig)");
  sub->add_option("--jobs", v.options.jobs, "Apps written at once (default 1)")
      ->check(CLI::Range(1, 64));
  sub->add_flag("--verbose", v.verbose, "List every file added, replaced and kept");
  add_skip_busy(sub, v.busy_on, v.busy_off);
}

// --model-map FILE: a JSON object of folder name -> model name.
std::map<std::string, std::string> read_model_map(const std::string& path) {
  const json map = read_json_file(path);
  if (!map.is_object()) {
    throw usage_error("--model-map " + quote(path) +
                      " must hold a JSON object of folder name -> model name");
  }
  std::map<std::string, std::string> out;
  for (const auto& [folder, model] : map.items()) {
    if (!model.is_string()) {
      throw usage_error("--model-map " + quote(path) + ": folder " + quote(folder) + " maps to " +
                        json_shown(model) + ", not a model name string");
    }
    out[folder] = model.get<std::string>();
  }
  return out;
}

BackfillOptions options_of(const Vars& v) {
  if (v.keep_ports && v.new_ports) {
    throw usage_error("give --keep-ports or --new-ports, not both");
  }
  BackfillOptions options = v.options;
  options.keep_ports = !v.new_ports;
  for (const auto& a : v.apps) {
    options.apps.push_back(parse_app(a));
  }
  if (!v.parts.empty()) {
    options.parts.emplace();
    std::stringstream ss(v.parts);
    for (std::string part; std::getline(ss, part, ',');) {
      if (!part.empty()) {
        options.parts->push_back(part);
      }
    }
    if (options.parts->empty()) {
      throw usage_error("--parts " + quote(v.parts) +
                        " names no part; give root and the "
                        "template's parts, comma-separated (root,backend)");
    }
  }
  if (!v.model_map.empty()) {
    options.model_map = read_model_map(v.model_map);
  }
  return options;
}

// A progress bar on a terminal: apps done, rate, time left.
void print_progress(std::chrono::steady_clock::time_point started, std::size_t done,
                    std::size_t total) {
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  const double left = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  const std::size_t width = 30;
  const std::size_t filled = total ? done * width / total : width;
  char line[160];
  std::snprintf(line, sizeof line,
                "\rberth: backfill [%s%s] %zu/%zu apps, %.1f apps/s, %.0f s left ",
                std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(), done,
                total, rate, left);
  std::cerr << line << (done == total ? "\n" : "") << std::flush;
}

// The run's totals, for the summary.
struct Totals {
  std::size_t reserved = 0, added = 0, replaced = 0, kept = 0, starter = 0, kept_ports = 0,
              changed_ports = 0, kept_apps = 0;
};

Totals totals_of(const BackfillResult& result) {
  Totals t;
  for (const auto& a : result.apps) {
    t.reserved += a.result.created;
    t.added += a.report.written.size() - a.report.replaced.size();
    t.replaced += a.report.replaced.size();
    t.kept += a.report.kept.size();
    t.kept_apps += !a.report.kept.empty();
    t.starter += a.report.started.size();
    t.kept_ports += a.ports_kept;
    t.changed_ports += !a.ports_kept && !a.port_notes.empty();
  }
  return t;
}

void print_result_json(const Vars& v, const BackfillOptions& options,
                       const BackfillResult& result) {
  const Totals t = totals_of(result);
  json apps = json::array();
  for (const auto& a : result.apps) {
    apps.push_back(app_json(a));
  }
  print_json({{"root", v.root},
              {"template", options.template_name},
              {"dry_run", options.dry_run},
              {"apps", apps},
              {"summary",
               {{"apps", result.apps.size()},
                {"reserved", t.reserved},
                {"added", t.added},
                {"replaced", t.replaced},
                {"kept", t.kept},
                {"starter_kept", t.starter},
                {"ports_kept", t.kept_ports},
                {"ports_changed", t.changed_ports}}}});
}

void print_summary(const Vars& v, const BackfillOptions& options, const BackfillResult& result) {
  const Totals t = totals_of(result);
  const char* would = options.dry_run ? "would be " : "";
  std::cout << (options.dry_run ? "dry run: " : "") << result.apps.size() << " apps (" << t.reserved
            << " " << would << "reserved, " << (result.apps.size() - t.reserved) << " already), "
            << t.added << " files " << would << "added, " << t.replaced << " " << would
            << "replaced (kept as .berth-orig), " << t.kept << " kept, " << t.starter
            << " starter files left as they are\n";
  std::cout << "ports: " << t.kept_ports << " apps kept theirs, " << t.changed_ports
            << " apps changed\n";
  if (t.kept == 0) {
    return;
  }
  std::cout << "kept " << t.kept << " files in " << t.kept_apps << " apps (not written by berth, "
            << "or edited since)"
            << (v.verbose ? ":"
                          : "; --verbose lists them, --force "
                            "replaces them keeping a copy")
            << '\n';
  if (v.verbose) {
    for (const auto& a : result.apps) {
      for (const auto& [path, why] : a.report.kept) {
        std::cout << "  " << a.folder << "/" << path << ": " << why << '\n';
      }
    }
  }
}

}  // namespace

// berth backfill ROOT
Command add_backfill(CLI::App& app, const Options& o) {
  const auto v = std::make_shared<Vars>();
  auto* sub = app.add_subcommand(
      "backfill",
      "Adopt a tree of existing apps (ROOT/<model>/app<N>/): reserve and scaffold around them");
  add_options(sub, *v);
  const auto run = [&o, v, sub]() -> int {
    refuse_empty(sub, "--pool", v->options.pool);
    refuse_empty(sub, "--template", v->options.template_name);
    BackfillOptions options = options_of(*v);
    options.ns = namespace_of(o);
    Store store = open_store(o);  // a dry run previews in a transaction it aborts
    if (skip_busy(store, v->busy_on, v->busy_off)) {
      options.avoid = busy_ports();
    }
    const bool terminal = ::isatty(STDERR_FILENO) == 1 && !o.json;
    const auto started = std::chrono::steady_clock::now();
    const auto on_app = [&](const BackfillApp& a, std::size_t done, std::size_t total) {
      if (o.json) {
        return;
      }
      if (terminal && !options.dry_run) {
        print_progress(started, done, total);
      } else {
        print_app_line(std::cout, a, options.dry_run, v->verbose);
      }
    };
    const BackfillResult result = backfill(store, v->root, options, on_app);
    if (o.json) {
      print_result_json(*v, options, result);
    } else {
      print_summary(*v, options, result);
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace berth
