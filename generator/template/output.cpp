#include "generator/template/output.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "generator/io/fileio.hpp"
#include "store/error.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

void check_sets(const Template& tmpl, const std::map<std::string, std::string>& sets) {
  for (const auto& [key, value] : sets) {
    if (!tmpl.variables.count(key)) {
      std::string names;
      for (const auto& [k, v] : tmpl.variables) {
        names += (names.empty() ? "" : ", ") + k;
      }
      throw usage_error("variable " + quote(key) + " is not declared by template " +
                        quote(tmpl.name) + "; its variables: " + (names.empty() ? "none" : names));
    }
    check_text(value, "variable " + quote(key) + " value");
    check_variable(key, tmpl.variables.at(key), value);
  }
}

Context make_context(const Reservation& reservation, const Template& tmpl,
                     const std::map<std::string, std::string>& sets) {
  Context ctx;
  ctx["model"] = reservation.key.model;
  ctx["model_slug"] = model_slug(reservation.key.model);
  ctx["app_num"] = std::to_string(reservation.key.app);
  ctx["namespace"] = reservation.key.ns;
  ctx["project_name"] = reservation.project;
  // The earlier system's keys, so its templates render as they are.
  ctx["PROJECT_NAME"] = reservation.project;
  ctx["COMPOSE_PROJECT_NAME"] = reservation.project;
  for (const auto& p : reservation.ports) {
    ctx[p.name + "_port"] = std::to_string(p.port);
    ctx[legacy_port_key(p.name)] = std::to_string(p.port);
  }
  for (const auto& name : tmpl.ports) {
    if (!reservation.port(name)) {
      throw usage_error("template " + quote(tmpl.name) + " needs port " + quote(name) + ", which " +
                        describe(reservation.key) + " (pool " + quote(reservation.pool) +
                        ") does not have");
    }
  }
  for (const auto& [key, var] : tmpl.variables) {
    if (ctx.count(key)) {
      throw usage_error("template " + quote(tmpl.name) + " declares variable " + quote(key) +
                        ", which berth already provides; rename it");
    }
    if (strip_json_form(key) != key) {
      throw usage_error("template " + quote(tmpl.name) + " declares variable " + quote(key) +
                        "; names ending in _json are berth's JSON forms of other keys; rename it");
    }
    if (var.default_value) {
      ctx[key] = *var.default_value;
    }
  }
  check_sets(tmpl, sets);
  for (const auto& [key, value] : sets) {
    ctx[key] = value;
  }
  // JSON string literals with every non-ASCII character escaped: safe inside JSON, JavaScript,
  // Python and YAML double-quoted strings alike (U+2028 included).
  Context with_json = ctx;
  for (const auto& [key, value] : ctx) {
    with_json[key + "_json"] = json(value).dump(-1, ' ', true);
  }
  return with_json;
}

namespace {

constexpr std::size_t k_max_name_bytes = 255;   // NAME_MAX
constexpr std::size_t k_max_path_bytes = 2048;  // well within PATH_MAX with the folder before it

}  // namespace

void check_relative(const std::string& path, const std::string& what) {
  if (path.empty() || path[0] == '/') {
    throw usage_error(what + " " + quote(path) + " is empty or absolute; refusing it");
  }
  for (std::size_t begin = 0; begin <= path.size();) {
    std::size_t end = path.find('/', begin);
    if (end == std::string::npos) {
      end = path.size();
    }
    const std::string_view part(path.data() + begin, end - begin);
    begin = end + 1;
    if (end == path.size() && part.empty() && !path.empty() && path.back() == '/') {
      break;  // a trailing '/': refused below
    }
    if (part.empty() || part == "." || part == "..") {
      throw usage_error(what + " " + quote(path) +
                        " holds an empty, '.' or '..' component; refusing it");
    }
    if (part.size() > k_max_name_bytes) {
      throw usage_error(what + " " + quote(path) + " has a component of " +
                        std::to_string(part.size()) + " bytes; file names hold at most " +
                        std::to_string(k_max_name_bytes));
    }
  }
  if (path.size() > k_max_path_bytes) {
    throw usage_error(what + " " + quote(path.substr(0, 60)) + "... is longer than " +
                      std::to_string(k_max_path_bytes) + " bytes");
  }
  if (path.back() == '/' || path.find('\0') != std::string::npos) {
    throw usage_error(what + " " + quote(path) + " is not a file path; refusing it");
  }
  if (path == k_scaffold_manifest) {
    throw usage_error(what + " " + quote(path) + " is berth's own manifest name; rename it");
  }
}

namespace {

// A template file an app gets, and the folder it is read from (for messages).
struct Source {
  const TemplateFile* file;
  std::string dir;
};

// Throws unless every part named is "root" or one of the template's.
void check_parts(const Template& tmpl, const std::vector<std::string>& parts) {
  for (const auto& part : parts) {
    if (part != "root" && !tmpl.parts.count(part)) {
      std::string known = "root";
      for (const auto& [name, globs] : tmpl.parts) {
        known += ", " + name;
      }
      throw usage_error("template " + quote(tmpl.name) + " has no part " + quote(part) +
                        "; its parts: " + known);
    }
  }
}

// The template files an app with these parts gets: the files of the parts named (and the root
// files when "root" is named), then for each part left out, its without/<part>/ files.
template <typename Named>
std::vector<Source> part_sources(const Template& tmpl, const Named& named) {
  std::vector<Source> sources;
  std::set<std::string> replaced;
  for (const auto& [part, files] : tmpl.without) {
    if (!named(part)) {
      for (const auto& f : files) {
        replaced.insert(f.path);
      }
    }
  }
  for (const auto& f : tmpl.files) {
    if (named(f.part.empty() ? "root" : f.part) && !replaced.count(f.path)) {
      sources.push_back({&f, tmpl.files_dir.string() + "/"});
    }
  }
  std::set<std::string> taken;
  for (const auto& [part, files] : tmpl.without) {
    if (!named(part)) {
      for (const auto& f : files) {
        if (taken.insert(f.path).second) {  // two parts left out: the first part's file wins
          sources.push_back({&f, (tmpl.root / "without" / part).string() + "/"});
        }
      }
    }
  }
  return sources;
}

// Variants whose variable has their value: their files replace the template's of the same
// path, or are added (those of the parts the app has).
template <typename Named>
void add_variant_sources(const Template& tmpl, const Context& context, const Named& named,
                         std::vector<Source>& sources) {
  std::map<std::string, std::string> provided;  // path -> the variant that gives it
  for (const auto& [name, variant] : tmpl.variants) {
    const auto value = context.find(variant.variable);
    if (value == context.end() || value->second != variant.value) {
      continue;
    }
    const std::string dir = (tmpl.root / "variants" / name).string() + "/";
    for (const auto& f : variant.files) {
      if (!named(f.part.empty() ? "root" : f.part)) {
        continue;
      }
      if (auto [it, added] = provided.emplace(f.path, name); !added) {
        throw usage_error("template " + quote(tmpl.name) + ": variants " + quote(it->second) +
                          " and " + quote(name) + " both apply and both provide " + quote(f.path) +
                          "; a file comes from one variant (change one's "
                          "\"when\", or move the file)");
      }
      const auto same = std::find_if(sources.begin(), sources.end(),
                                     [&](const Source& s) { return s.file->path == f.path; });
      if (same != sources.end()) {
        *same = {&f, dir};
      } else {
        sources.push_back({&f, dir});
      }
    }
  }
}

// Adds `rendered`'s errors to `errors`, as file:line:column lines.
void collect_errors(const Rendered& rendered, const std::string& label,
                    std::vector<std::string>& errors) {
  for (const auto& e : rendered.errors) {
    errors.push_back(e.to_string());
  }
  if (rendered.more_errors > 0) {
    errors.push_back(label + ": " + std::to_string(rendered.more_errors) + " more");
  }
}

bool is_env_file(const std::string& path) {
  return path == ".env" || (path.size() > 5 && path.compare(path.size() - 5, 5, "/.env") == 0);
}

// Renders one source's name and (with `bodies`) content into `out`; placeholder errors and a
// second file rendering to the same path go to `errors`.
void render_source(const Template& tmpl, const Source& source, const Context& context, bool bodies,
                   std::map<std::string, OutputFile>& out, std::vector<std::string>& errors) {
  const TemplateFile& f = *source.file;
  const std::string label = source.dir + f.path;
  const Rendered name = render(f.path, context, label + " (file name)");
  collect_errors(name, label + " (file name)", errors);
  Rendered body;
  if (bodies && f.render) {
    body = render(f.content, context, label);
    collect_errors(body, label, errors);
  } else if (bodies) {
    body.text = f.content;
  }  // else paths only: the content is left empty
  if (!name.ok() || !body.ok()) {
    return;
  }
  check_relative(name.text, "template " + quote(tmpl.name) + " output path");
  // `.env` holds secrets (SECRET_KEY and the like): owner only, unless `modes` says.
  const unsigned mode = is_env_file(name.text) && !f.mode_set ? 0600 : f.mode;
  const auto added =
      out.emplace(name.text, OutputFile{name.text, std::move(body.text), mode, f.starter}).second;
  if (!added) {
    errors.push_back(label + ": renders to " + quote(name.text) +
                     ", which another template file also renders to");
  }
}

// A path that is a file in one place and a folder in another (a template's `a` and an
// overlay's `a/b`) cannot both be written: refuse before anything is.
void check_file_folder_clash(const std::map<std::string, OutputFile>& out) {
  for (auto it = out.begin(); it != out.end(); ++it) {
    const std::string folder = it->first + "/";
    auto next = out.lower_bound(folder);
    if (next != out.end() && next->first.compare(0, folder.size(), folder) == 0) {
      throw usage_error("output " + quote(it->first) + " is a file, but " + quote(next->first) +
                        " needs it to be a folder (a template file and an overlay file, or two "
                        "template files, disagree); rename one of them");
    }
  }
}

}  // namespace

std::vector<OutputFile> render_template(const Template& tmpl, const Context& context,
                                        const std::vector<OutputFile>& overlay, bool bodies,
                                        const std::optional<std::vector<std::string>>& parts) {
  if (parts) {
    check_parts(tmpl, *parts);
  }
  const auto named = [&](const std::string& part) {
    return !parts || std::find(parts->begin(), parts->end(), part) != parts->end();
  };
  std::vector<Source> sources = part_sources(tmpl, named);
  add_variant_sources(tmpl, context, named, sources);
  std::map<std::string, OutputFile> out;
  std::vector<std::string> errors;
  for (const auto& source : sources) {
    render_source(tmpl, source, context, bodies, out, errors);
  }
  if (!errors.empty()) {
    throw Error(ErrorKind::usage,
                "template " + quote(tmpl.name) + ": " + std::to_string(errors.size()) +
                    " placeholder(s) could not be filled; nothing was written",
                errors);
  }
  for (const auto& f : overlay) {
    check_relative(f.path, "overlay path");
    out[f.path] = f;
  }
  // `.env` starts as a copy of `.env.example`, so `docker compose up` picks the project name.
  if (auto it = out.find(".env.example"); it != out.end() && !out.count(".env")) {
    out[".env"] = OutputFile{".env", it->second.content, mode_of(tmpl, ".env").value_or(0600),
                             it->second.starter};
  }
  check_file_folder_clash(out);
  std::vector<OutputFile> files;
  for (auto& [path, f] : out) {
    files.push_back(std::move(f));
  }
  return files;
}

std::vector<OutputFile> read_overlay(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw usage_error("overlay " + quote(dir.string()) + " is not a folder");
  }
  const fs::path real = fs::canonical(dir);
  std::vector<OutputFile> files;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = it->path().lexically_relative(dir).generic_string();
    if (it->is_symlink() && !within(real, fs::weakly_canonical(it->path(), ec))) {
      throw usage_error("overlay file " + quote(rel) + " is a symlink leading outside " +
                        quote(dir.string()) + "; refusing it");
    }
    // A folder berth scaffolded (a backfilled app, say) used as an overlay: its manifest is
    // berth's record of that folder, not a file of the app.
    if (it->is_directory() || rel == k_scaffold_manifest) {
      continue;
    }
    if (it->is_symlink() && !fs::exists(it->path(), ec)) {
      throw usage_error("overlay entry " + quote(rel) + " in " + quote(dir.string()) +
                        " is a dangling symlink; remove it or point it at a file");
    }
    if (!it->is_regular_file()) {
      throw usage_error("overlay entry " + quote(rel) + " in " + quote(dir.string()) +
                        " is not a regular file (a FIFO, socket or device); remove it");
    }
    const std::string content_text = read_file(it->path());
    auto content = std::optional<std::string>(content_text);
    const auto perms = fs::status(it->path()).permissions();
    const bool exec = (perms & fs::perms::owner_exec) != fs::perms::none;
    files.push_back(OutputFile{rel, std::move(*content), exec ? 0755u : 0644u});
  }
  std::sort(files.begin(), files.end(),
            [](const OutputFile& a, const OutputFile& b) { return a.path < b.path; });
  return files;
}

}  // namespace berth
