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

}  // namespace

// berth backfill ROOT
Command add_backfill(CLI::App& app, const Options& o) {
  struct Vars {
    std::string root, model_map, parts;
    std::vector<std::string> apps;
    BackfillOptions options;
    bool verbose = false, busy_on = false, busy_off = false;
  };
  const auto v = std::make_shared<Vars>();
  auto* sub = app.add_subcommand(
      "backfill",
      "Adopt a tree of existing apps (ROOT/<model>/app<N>/): reserve and scaffold around them");
  sub->add_option("root", v->root, "Folder holding <model>/app<N>/ folders")->required();
  sub->add_option("--template", v->options.template_name, "Template name or folder")
      ->capture_default_str();
  sub->add_option("--model", v->options.models, "Only this model (repeatable)");
  sub->add_option("--app", v->apps, "Only this app number (repeatable)");
  sub->add_option("--model-map", v->model_map, "JSON object: folder name -> model name")
      ->type_name("FILE");
  sub->add_option("--parts", v->parts,
                  "Parts every app gets, comma-separated (root and the template's; default: "
                  "the parts each app has)");
  sub->add_option("--pool", v->options.pool, "Pool to reserve from (default: apps)");
  sub->add_flag("--dry-run", v->options.dry_run, "Reserve and write nothing; print what would be");
  sub->add_flag("--force", v->options.force,
                "Replace files berth did not write, keeping each as <name>.berth-orig");
  sub->add_flag("--keep-ports", v->options.keep_ports,
                "Keep the ports an app's .env or compose file names, when free");
  sub->add_option("--jobs", v->options.jobs, "Apps written at once (default 1)")
      ->check(CLI::Range(1, 64));
  sub->add_flag("--verbose", v->verbose, "List every file added, replaced and kept");
  add_skip_busy(sub, v->busy_on, v->busy_off);
  const auto run = [&o, v]() -> int {
    BackfillOptions options = v->options;
    for (const auto& a : v->apps) {
      options.apps.push_back(parse_app(a));
    }
    if (!v->parts.empty()) {
      options.parts.emplace();
      std::stringstream ss(v->parts);
      for (std::string part; std::getline(ss, part, ',');) {
        if (!part.empty()) {
          options.parts->push_back(part);
        }
      }
    }
    if (!v->model_map.empty()) {
      const json map = read_json_file(v->model_map);
      if (!map.is_object()) {
        throw usage_error("--model-map " + quote(v->model_map) +
                          " must hold a JSON object of folder name -> model name");
      }
      for (const auto& [folder, model] : map.items()) {
        if (!model.is_string()) {
          throw usage_error("--model-map " + quote(v->model_map) + ": folder " + quote(folder) +
                            " maps to " + json_shown(model) + ", not a model name string");
        }
        options.model_map[folder] = model.get<std::string>();
      }
    }
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
        // A progress bar: apps done, rate, time left.
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
        const double left = rate > 0 ? static_cast<double>(total - done) / rate : 0;
        const std::size_t width = 30;
        const std::size_t filled = total ? done * width / total : width;
        char line[160];
        std::snprintf(line, sizeof line,
                      "\rberth: backfill [%s%s] %zu/%zu apps, %.1f apps/s, %.0f s left ",
                      std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(),
                      done, total, rate, left);
        std::cerr << line << (done == total ? "\n" : "") << std::flush;
      } else {
        print_app_line(std::cout, a, options.dry_run, v->verbose);
      }
    };
    const BackfillResult result = backfill(store, v->root, options, on_app);

    std::size_t reserved = 0, added = 0, replaced = 0, kept = 0, starter = 0, kept_ports = 0,
                changed_ports = 0, kept_apps = 0;
    for (const auto& a : result.apps) {
      reserved += a.result.created;
      added += a.report.written.size() - a.report.replaced.size();
      replaced += a.report.replaced.size();
      kept += a.report.kept.size();
      kept_apps += !a.report.kept.empty();
      starter += a.report.started.size();
      kept_ports += a.ports_kept;
      changed_ports += !a.ports_kept && !a.port_notes.empty();
    }
    if (o.json) {
      json apps = json::array();
      for (const auto& a : result.apps) {
        apps.push_back(app_json(a));
      }
      print_json({{"root", v->root},
                  {"template", options.template_name},
                  {"dry_run", options.dry_run},
                  {"apps", apps},
                  {"summary",
                   {{"apps", result.apps.size()},
                    {"reserved", reserved},
                    {"added", added},
                    {"replaced", replaced},
                    {"kept", kept},
                    {"starter_kept", starter},
                    {"ports_kept", kept_ports},
                    {"ports_changed", changed_ports}}}});
      return 0;
    }
    const char* would = options.dry_run ? "would be " : "";
    std::cout << (options.dry_run ? "dry run: " : "") << result.apps.size() << " apps (" << reserved
              << " " << would << "reserved, " << (result.apps.size() - reserved) << " already), "
              << added << " files " << would << "added, " << replaced << " " << would
              << "replaced (kept as .berth-orig), " << kept << " kept, " << starter
              << " starter files left as they are\n";
    std::cout << "ports: " << kept_ports << " apps kept theirs, " << changed_ports
              << " apps changed\n";
    if (kept > 0) {
      std::cout << "kept " << kept << " files in " << kept_apps << " apps (not written by berth, "
                << "or edited since)"
                << (v->verbose ? ":"
                               : "; --verbose lists them, --force "
                                 "replaces them keeping a copy")
                << '\n';
      if (v->verbose) {
        for (const auto& a : result.apps) {
          for (const auto& [path, why] : a.report.kept) {
            std::cout << "  " << a.folder << "/" << path << ": " << why << '\n';
          }
        }
      }
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace berth
