#include "generator/cli/command.hpp"
#include "generator/template/catalog.hpp"
#include "store/keys.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json variables_json(const Template& t) {
  json vars = json::object();
  for (const auto& [key, var] : t.variables) {
    json v = {{"description", var.description}};
    v["default"] = var.default_value ? json(*var.default_value) : json(nullptr);
    vars[key] = v;
  }
  return vars;
}

void print_templates_json(const std::vector<fs::path>& search,
                          const std::vector<FoundTemplate>& found) {
  json list = json::array();
  for (const auto& f : found) {
    json j = {{"name", f.name}, {"folder", fs::absolute(f.folder).lexically_normal().string()}};
    if (f.tmpl) {
      j["manifest_name"] = f.tmpl->name;
      j["description"] = f.tmpl->description;
      j["bare"] = f.tmpl->bare;
      j["ports"] = f.tmpl->ports;
      j["variables"] = variables_json(*f.tmpl);
      j["files"] = f.tmpl->files.size();
    } else {
      j["error"] = f.error;
    }
    j["shadowed_by"] = f.shadowed.empty() ? json(nullptr) : json(f.shadowed);
    list.push_back(j);
  }
  std::vector<std::string> searched;
  for (const auto& dir : search) {
    searched.push_back(dir.string());
  }
  print_json({{"search_path", searched}, {"templates", list}});
}

// A row of the templates table: name, ports, variables (with defaults), folder and its state.
std::vector<std::string> template_row(const FoundTemplate& f) {
  std::string ports = "-";
  std::string vars = "-";
  std::string folder = fs::absolute(f.folder).lexically_normal().string();
  if (f.tmpl) {
    ports = f.tmpl->ports.empty() ? "-" : keys::join(f.tmpl->ports, ",");
    std::vector<std::string> items;
    for (const auto& [key, var] : f.tmpl->variables) {
      items.push_back(var.default_value ? key + "=" + *var.default_value : key);
    }
    vars = items.empty() ? "-" : keys::join(items, " ");
    if (f.tmpl->bare) {
      folder += " (bare: no template.json)";
    }
  } else {
    folder += " (unusable: " + f.error + ")";
  }
  if (!f.shadowed.empty()) {
    folder += " (shadowed by " + f.shadowed + ")";
  }
  return {f.name, ports, vars, folder};
}

// How wide the table may be: $COLUMNS when it is a number, else the terminal's width when
// standard output is one, else no limit (0): a pipe or a file gets every row whole.
std::size_t table_width() {
  if (const char* env = std::getenv("COLUMNS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (*end == '\0' && n > 0) {
      return static_cast<std::size_t>(n);
    }
  }
  winsize ws{};
  if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
    return ws.ws_col;
  }
  return 0;
}

// Cuts the Variables column (the long one) with "…" so that every row fits `width`; the name,
// ports and folder stay whole, and the column keeps at least 12 characters.
void fit_variables(std::vector<std::vector<std::string>>& rows, std::size_t width) {
  constexpr std::size_t k_var = 2, k_min = 12, k_gap = 2;
  std::size_t others = 0;
  for (std::size_t col = 0; col < rows.front().size(); ++col) {
    std::size_t w = 0;
    for (const auto& row : rows) {
      w = std::max(w, columns(row[col]));
    }
    others += col == k_var ? 0 : w + (col + 1 < rows.front().size() ? k_gap : 0);
  }
  const std::size_t room = std::max(k_min, width > others + k_gap ? width - others - k_gap : 0);
  for (auto& row : rows) {
    if (columns(row[k_var]) > room) {
      std::size_t cut = room - 1;
      while (cut > 0 && (static_cast<unsigned char>(row[k_var][cut]) & 0xC0) == 0x80) {
        --cut;  // not inside a UTF-8 character
      }
      row[k_var] = row[k_var].substr(0, cut) + "\u2026";
    }
  }
}

void print_init(const TemplateInit& r, bool move) {
  const std::string name = r.content["name"];
  std::cout << "wrote " << r.manifest.string() << ": template " << quote(name) << ", " << r.files
            << " files (" << r.binaries.size() << " binary, copied verbatim; " << r.executables
            << " executable)\n"
            << "ports: " << (r.ports.empty() ? "none" : keys::join(r.ports, ", ")) << '\n';
  std::cout << "variables: " << (r.variables.empty() ? "none" : keys::join(r.variables, ", "))
            << '\n';
  if (move) {
    std::cout << "moved " << r.moved << " entries under "
              << (r.manifest.parent_path() / "files").string() << '\n';
  }
  std::cout << "next: add descriptions and defaults, and list model-written files under "
               "\"starter\" (see the template reference)\n";
}

}  // namespace

// berth templates
Command add_templates(CLI::App& app, const Options& o) {
  auto* sub = app.add_subcommand(
      "templates", "List the templates berth finds (BERTH_TEMPLATE_PATH, installed, bundled)");
  const auto wide = std::make_shared<bool>(false);
  sub->add_flag("--wide", *wide,
                "Never cut the Variables column (it is cut to fit a terminal or $COLUMNS)");
  const auto run = [&o, wide]() -> int {
    const auto search = template_search_path();
    const auto found = find_templates(search);
    if (o.json) {
      print_templates_json(search, found);
    } else if (found.empty()) {
      std::cout << "no templates found; set BERTH_TEMPLATE_PATH to a folder of templates\n";
    } else {
      std::vector<std::vector<std::string>> rows = {{"Name", "Ports", "Variables", "Folder"}};
      for (const auto& f : found) {
        rows.push_back(template_row(f));
      }
      if (const std::size_t width = table_width(); width > 0 && !*wide) {
        fit_variables(rows, width);
      }
      print_table(std::cout, rows);
    }
    return 0;
  };
  return {sub, run};
}

// berth template init DIR
Command add_template(CLI::App& app, const Options& o) {
  struct Vars {
    std::string dir, name;
    bool move = false;
  };
  const auto v = std::make_shared<Vars>();
  auto* sub = app.add_subcommand("template", "Work on template folders");
  sub->require_subcommand(1);
  auto* init = sub->add_subcommand(
      "init", "Write a template.json for a bare template folder, listing its ports and variables");
  init->add_option("dir", v->dir, "The template folder")->required();
  init->add_option("--name", v->name, "Template name (default: the folder's name)");
  init->add_flag("--move", v->move, "Also move the files under files/ (the full template layout)");
  const auto run = [&o, v]() -> int {
    const TemplateInit r = init_template(v->dir, v->name, v->move);
    if (o.json) {
      print_json({{"manifest", r.manifest.string()},
                  {"template", json::parse(r.content.dump())},
                  {"files", r.files},
                  {"binary", r.binaries},
                  {"executable", r.executables},
                  {"moved", v->move}});
    } else {
      print_init(r, v->move);
    }
    return 0;
  };
  return {init, run};
}

}  // namespace berth
