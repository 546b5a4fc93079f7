#include "generator/app/backfill.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "generator/io/fileio.hpp"
#include "generator/template/template.hpp"
#include "store/error.hpp"

namespace berth {

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) {
    return "";
  }
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

std::optional<std::uint16_t> port_number(std::string text) {
  text = trim(text);
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') &&
      text.back() == text.front()) {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const long n = std::stol(text);
  if (n < 1 || n > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(n);
}

// A regular file's content (never through a symlink: an app's file may lead anywhere).
std::optional<std::string> read_plain(const fs::path& p) {
  std::error_code ec;
  if (fs::symlink_status(p, ec).type() != fs::file_type::regular) {
    return std::nullopt;
  }
  return read_if_file(p);
}

// "app7" -> 7; nullopt for anything else ("app0", "app07", "appX").
std::optional<std::uint32_t> app_number(const std::string& name) {
  const std::string digits = name.substr(3);
  if (digits.empty() || digits.size() > 7 || digits[0] == '0' ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const unsigned long n = std::stoul(digits);
  if (n < 1 || n > k_max_app) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(n);
}

std::vector<fs::path> sorted_folders(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The parts an app has: the root files, and each part whose folder (the literal start of one
// of its globs, such as `frontend` in `frontend/**`) is there.
std::vector<std::string> detect_parts(const Template& tmpl, const fs::path& dir) {
  std::vector<std::string> parts = {"root"};
  std::error_code ec;
  for (const auto& [part, globs] : tmpl.parts) {
    const bool present = std::any_of(globs.begin(), globs.end(), [&](const std::string& g) {
      // The folders before the first component with a wildcard: `backend` of `backend/**`.
      fs::path prefix;
      std::stringstream ss(g);
      for (std::string part; std::getline(ss, part, '/');) {
        if (part.find_first_of("*?") != std::string::npos) {
          break;
        }
        prefix /= part;
      }
      return prefix.empty() || fs::exists(dir / prefix, ec);
    });
    if (present) {
      parts.push_back(part);
    }
  }
  return parts;
}

// Renders, holds back files whose needs are unmet, and plans one app against a reservation.
ScaffoldPlan plan_one(const Template& tmpl, const BackfillApp& app, const Reservation& r,
                      const BackfillOptions& o) {
  std::vector<OutputFile> files =
      render_template(tmpl, make_context(r, tmpl, {}), {}, true, app.parts);
  const auto held = hold_back_unmet(tmpl, app.dir, files);
  ScaffoldPlan plan = plan_app(app.dir, files, tmpl.name, o.force, o.force);
  plan.parts = app.parts;
  plan.report.kept.insert(plan.report.kept.end(), held.begin(), held.end());
  return plan;
}

}  // namespace

std::map<std::string, std::uint16_t> find_app_ports(const fs::path& dir,
                                                    const std::vector<std::string>& names,
                                                    std::string& from) {
  std::map<std::string, std::uint16_t> out;
  if (const auto env = read_plain(dir / ".env")) {
    std::istringstream lines(*env);
    for (std::string line; std::getline(lines, line);) {
      line = trim(line);
      if (line.rfind("export ", 0) == 0) {
        line = trim(line.substr(7));
      }
      const auto eq = line.find('=');
      if (eq == std::string::npos) {
        continue;
      }
      const std::string key = trim(line.substr(0, eq));
      for (const auto& name : names) {
        if (key == legacy_port_key(name) && !out.count(name)) {
          if (const auto port = port_number(line.substr(eq + 1))) {
            out[name] = *port;
          }
        }
      }
    }
    if (!out.empty()) {
      from = ".env";
      return out;
    }
  }
  for (const char* file :
       {"docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"}) {
    const auto text = read_plain(dir / file);
    if (!text) {
      continue;
    }
    // A line scan of the usual layout: services: / <name>: / ports: / - "HOST:CONTAINER".
    std::istringstream lines(*text);
    bool in_services = false;
    std::size_t service_indent = 0;
    std::string service;
    std::size_t ports_indent = std::string::npos;
    for (std::string line; std::getline(lines, line);) {
      const std::size_t indent = line.find_first_not_of(' ');
      const std::string body = trim(line);
      if (body.empty() || body[0] == '#') {
        continue;
      }
      if (indent == 0) {
        in_services = body == "services:";
        service.clear();
        service_indent = 0;
        continue;
      }
      if (!in_services) {
        continue;
      }
      if (service_indent == 0) {
        service_indent = indent;
      }
      if (indent == service_indent && body.back() == ':') {
        service = body.substr(0, body.size() - 1);
        ports_indent = std::string::npos;
        continue;
      }
      if (body == "ports:") {
        ports_indent = indent;
        continue;
      }
      if (ports_indent == std::string::npos || indent < ports_indent || body[0] != '-') {
        if (indent <= ports_indent) {
          ports_indent = std::string::npos;
        }
        continue;
      }
      std::string item = trim(body.substr(1));
      if (item.size() >= 2 && (item.front() == '"' || item.front() == '\'')) {
        item = item.substr(1, item.size() - 2);
      }
      if (item.find("${") != std::string::npos) {
        continue;
      }
      std::vector<std::string> parts;
      std::stringstream ss(item);
      for (std::string p; std::getline(ss, p, ':');) {
        parts.push_back(p);
      }
      if (parts.size() >= 2 && std::count(names.begin(), names.end(), service) &&
          !out.count(service)) {
        if (const auto port = port_number(parts[parts.size() - 2])) {
          out[service] = *port;
        }
      }
    }
    if (!out.empty()) {
      from = file;
      return out;
    }
  }
  return out;
}

BackfillResult backfill(
    Store& store, const fs::path& root, const BackfillOptions& o,
    const std::function<void(const BackfillApp&, std::size_t, std::size_t)>& on_app) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw usage_error(quote(root.string()) +
                      " is not a folder; give the folder that holds <model>/app<N>/ folders");
  }
  const Template tmpl = load_template(o.template_name, template_search_path());
  std::vector<std::string> problems;
  for (const auto& [folder, model] : o.model_map) {
    try {
      validate_model(model);
    } catch (const Error& e) {
      problems.push_back("--model-map: folder " + quote(folder) + ": " + e.what());
    }
  }

  // 1. Scan.
  BackfillResult out;
  std::set<std::string> models_seen;
  std::set<std::uint32_t> apps_seen;
  std::map<AppKey, std::string> keys;
  const fs::path real_root = fs::canonical(root);
  for (const auto& model_dir : sorted_folders(root)) {
    const std::string name = model_dir.filename().string();
    if (name.empty() || name[0] == '.') {
      continue;
    }
    const auto mapped = o.model_map.find(name);
    const std::string model = mapped != o.model_map.end() ? mapped->second : name;
    if (!o.models.empty() && std::find(o.models.begin(), o.models.end(), model) == o.models.end()) {
      continue;
    }
    try {
      validate_model(model);
    } catch (const Error& e) {
      problems.push_back(model_dir.string() + ": " + e.what() +
                         "; map the folder to a model name with --model-map");
      continue;
    }
    models_seen.insert(model);
    for (const auto& app_dir : sorted_folders(model_dir)) {
      const std::string leaf = app_dir.filename().string();
      if (leaf.rfind("app", 0) != 0) {
        continue;
      }
      const auto n = app_number(leaf);
      if (!n) {
        problems.push_back(app_dir.string() + ": " + quote(leaf) +
                           " is not app<N> with N a number from 1 to 1000000 (no leading zeros)");
        continue;
      }
      if (!o.apps.empty() && std::find(o.apps.begin(), o.apps.end(), *n) == o.apps.end()) {
        continue;
      }
      apps_seen.insert(*n);
      if (!within(real_root, fs::canonical(app_dir, ec))) {
        problems.push_back(app_dir.string() + ": a symlink leading outside " +
                           quote(root.string()) + "; refusing it");
        continue;
      }
      BackfillApp app;
      app.folder = name + "/" + leaf;
      app.dir = app_dir;
      app.key = {model, *n};
      if (auto [it, added] = keys.emplace(app.key, app.folder); !added) {
        problems.push_back(app_dir.string() + ": " + describe(app.key) + " is also " +
                           quote(it->second) + "; map one folder to another model");
        continue;
      }
      out.apps.push_back(std::move(app));
    }
  }
  for (const auto& m : o.models) {
    if (!models_seen.count(m)) {
      problems.push_back("--model " + quote(m) + " matches no folder under " +
                         quote(root.string()));
    }
  }
  for (const auto n : o.apps) {
    if (!apps_seen.count(n)) {
      problems.push_back("--app " + std::to_string(n) + " matches no app folder under " +
                         quote(root.string()));
    }
  }
  if (out.apps.empty() && problems.empty()) {
    throw usage_error("no app folders (<model>/app<N>/) under " + quote(root.string()));
  }

  // 2. Parts and ports, then every reservation previewed in one transaction.
  const std::string pool_name = o.pool.empty() ? k_default_pool : o.pool;
  std::vector<std::string> port_names;
  for (const auto& pool : store.pools()) {
    if (pool.name == pool_name) {
      for (const auto& r : pool.ports) {
        port_names.push_back(r.name);
      }
    }
  }
  if (port_names.empty()) {
    throw usage_error("no pool " + quote(pool_name) + " in this store (see `berth pool`)");
  }
  std::map<std::uint16_t, std::string> held;
  for (const auto& r : store.list()) {
    for (const auto& p : r.ports) {
      held[p.port] = describe(r.key);
    }
  }
  for (const auto& l : store.leases(std::nullopt)) {
    held[l.port] = "lease " + quote(l.id);
  }
  const auto excluded = store.excluded();
  std::map<std::uint16_t, std::string> claimed;  // by an app of this run
  std::vector<BatchOp> ops;
  std::vector<std::size_t> order;  // pinned apps first, so that no allocation takes their ports
  std::vector<std::size_t> unpinned;
  for (std::size_t i = 0; i < out.apps.size(); ++i) {
    BackfillApp& app = out.apps[i];
    if (o.parts) {
      app.parts = *o.parts;
    } else if (auto recorded = recorded_parts(app.dir)) {
      app.parts = *recorded;
    } else {
      app.parts = detect_parts(tmpl, app.dir);
    }
    app.found_ports = find_app_ports(app.dir, port_names, app.ports_from);
    BatchOp op;
    op.request.key = app.key;
    op.request.pool = o.pool;
    op.request.avoid = o.avoid;
    const bool reserved = store.get(app.key).has_value();
    if (o.keep_ports && !reserved && !app.found_ports.empty()) {
      bool ok = true;
      for (const auto& [name, port] : app.found_ports) {
        std::string why;
        if (excluded.count(port)) {
          why = "is excluded in this store";
        } else if (auto h = held.find(port); h != held.end() && h->second != describe(app.key)) {
          why = "is held by " + h->second;
        } else if (auto c = claimed.find(port); c != claimed.end()) {
          why = "is kept by " + c->second + " (first in sorted order)";
        }
        if (!why.empty()) {
          app.port_notes.push_back(name + " " + std::to_string(port) + " (" + app.ports_from +
                                   ") " + why);
          ok = false;
        }
      }
      if (ok) {
        op.request.pins = app.found_ports;
        app.ports_kept = true;
        for (const auto& [name, port] : app.found_ports) {
          claimed[port] = app.folder;
        }
      }
    }
    ops.push_back(op);
    (app.ports_kept ? order : unpinned).push_back(i);
  }
  order.insert(order.end(), unpinned.begin(), unpinned.end());
  std::vector<BatchOp> ordered;
  for (const auto i : order) {
    ordered.push_back(ops[i]);
  }
  const auto relabel = [&](const Error& e) {
    std::vector<std::string> lines =
        e.details().empty() ? std::vector<std::string>{e.what()} : e.details();
    const std::string tag = "batch entry ";
    for (auto& line : lines) {
      const std::size_t colon = line.find(": ");
      if (line.rfind(tag, 0) == 0 && colon != std::string::npos) {
        const std::size_t n = std::stoul(line.substr(tag.size()));
        if (n >= 1 && n <= order.size()) {
          line = out.apps[order[n - 1]].folder + line.substr(colon);
        }
      }
    }
    return lines;
  };
  // Even when the scan found problems, the apps it did find are previewed and planned, so that
  // every problem is reported at once.
  std::vector<ReserveResult> results;
  {
    try {
      const auto previewed = store.preview(ordered);
      results.resize(out.apps.size());
      for (std::size_t k = 0; k < order.size(); ++k) {
        results[order[k]] = previewed[k];
      }
    } catch (const Error& e) {
      const auto lines = relabel(e);
      problems.insert(problems.end(), lines.begin(), lines.end());
    }
  }

  // 3. Every app planned against what its reservation will be: a problem anywhere (a symlink
  // out of an app folder, a file in the way of a folder, a template error) stops the run
  // before anything is reserved or written.
  std::vector<ScaffoldPlan> plans(out.apps.size());
  if (results.size() == out.apps.size()) {
    for (std::size_t i = 0; i < out.apps.size(); ++i) {
      try {
        plans[i] = plan_one(tmpl, out.apps[i], results[i].reservation, o);
      } catch (const Error& e) {
        problems.push_back(out.apps[i].dir.string() + ": " + e.what());
      }
    }
  }
  if (!problems.empty()) {
    throw Error(ErrorKind::usage,
                "backfill refused, nothing reserved or written: " +
                    std::to_string(problems.size()) + " problem(s)",
                problems);
  }
  const auto note_changes = [](BackfillApp& app) {
    if (app.ports_kept) {
      return;
    }
    for (const auto& [name, port] : app.found_ports) {
      const auto now = app.result.reservation.port(name);
      if (now && *now != port) {
        app.port_notes.push_back(name + " " + std::to_string(port) + " -> " + std::to_string(*now));
      }
    }
  };
  if (o.dry_run) {
    for (std::size_t i = 0; i < out.apps.size(); ++i) {
      out.apps[i].result = results[i];
      out.apps[i].report = plans[i].report;
      note_changes(out.apps[i]);
      if (on_app) {
        on_app(out.apps[i], i + 1, out.apps.size());
      }
    }
    return out;
  }

  // 4. One transaction for every reservation, then each folder under its lock.
  try {
    const auto applied = store.apply(ordered);
    for (std::size_t k = 0; k < order.size(); ++k) {
      out.apps[order[k]].result = applied[k];
    }
  } catch (const Error& e) {
    throw Error(e.kind(), "backfill refused, nothing reserved or written: " + std::string(e.what()),
                relabel(e));
  }
  std::atomic<std::size_t> next{0};
  std::mutex report_mutex;
  std::size_t done = 0;
  std::vector<std::string> failures;
  const auto worker = [&]() {
    for (std::size_t i = next++; i < out.apps.size(); i = next++) {
      BackfillApp& app = out.apps[i];
      try {
        FolderLock lock(app.dir);
        ScaffoldPlan plan = plan_one(tmpl, app, app.result.reservation, o);
        app.report = plan.report;
        apply_plan(std::move(plan));
      } catch (const std::exception& e) {
        const std::lock_guard<std::mutex> guard(report_mutex);
        failures.push_back(app.dir.string() + ": " + e.what());
      }
      note_changes(app);
      const std::lock_guard<std::mutex> guard(report_mutex);
      ++done;
      if (on_app) {
        on_app(app, done, out.apps.size());
      }
    }
  };
  const unsigned jobs = std::max(1u, std::min<unsigned>(o.jobs, out.apps.size()));
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) {
    threads.emplace_back(worker);
  }
  worker();
  for (auto& t : threads) {
    t.join();
  }
  std::vector<std::pair<AppKey, Use>> uses;
  for (const auto& app : out.apps) {
    uses.push_back({app.result.reservation.key, {"app", use_path(app.dir), 0}});
  }
  store.record_uses(uses);
  if (!failures.empty()) {
    std::sort(failures.begin(), failures.end());
    throw Error(ErrorKind::runtime,
                std::to_string(failures.size()) +
                    " app folder(s) could not be written (their reservations are made; run "
                    "backfill again once fixed)",
                failures);
  }
  return out;
}

}  // namespace berth
