// The add_generated_app calls the CMake module records, read into plan entries: the module does
// next to nothing per call (CMake-language work is what makes a large configure slow), and this
// file checks the arguments as add_generated_app documents them.
#include "generator/configure/steps.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "generator/io/fileio.hpp"
#include "generator/io/sha1.hpp"

namespace berth {

namespace fs = std::filesystem;

namespace {

constexpr char k_record = '\x1e';  // between calls
constexpr char k_field = '\x1f';   // between a call's fields

// One call as recorded: where it was made and its arguments.
struct RawCall {
  std::string file, source_dir, binary_dir;
  std::vector<std::string> args;
  bool intact = true;  // false: the arguments could not be told apart
};

// A CMake list's elements as CMake splits them: at each ';' outside square brackets, with
// "\;" standing for a ';' of an element; empty elements kept.
std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out(1);
  int nesting = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const char c = list[i];
    if (c == '\\' && i + 1 < list.size() && list[i + 1] == ';') {
      out.back() += ';';
      ++i;
      continue;
    }
    nesting += c == '[' ? 1 : c == ']' ? -1 : 0;
    if (c == ';' && nesting == 0) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out(1);
  for (const char c : text) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// A record: file, source folder, binary folder, then either the argument count and ${ARGV}
// (a CMake list), or "=" and the count, then each argument as a field of its own (the module's
// way when an argument holds a ';').
RawCall parse_record(const std::string& record) {
  RawCall call;
  std::vector<std::string> fields = split(record, k_field);
  if (fields.size() < 4) {
    call.intact = false;
    return call;
  }
  call.file = fields[0], call.source_dir = fields[1], call.binary_dir = fields[2];
  const std::string& count = fields[3];
  const bool exact = !count.empty() && count[0] == '=';
  const std::string digits = exact ? count.substr(1) : count;
  if (digits.empty() || digits.size() > 6 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    call.intact = false;
    return call;
  }
  const std::size_t argc = std::stoul(digits);
  if (exact) {
    call.args.assign(fields.begin() + 4, fields.end());
  } else if (argc > 0) {
    const std::size_t at =
        fields[0].size() + fields[1].size() + fields[2].size() + count.size() + 4;
    call.args = split_list(at <= record.size() ? record.substr(at) : "");
  }
  call.intact = call.args.size() == argc;
  return call;
}

// get_filename_component(ABSOLUTE): `value` against `base` when relative, "." and ".." folded
// away by name (no symlink followed), no trailing '/'.
std::string absolute_path(const std::string& value, const std::string& base) {
  std::vector<std::string> parts;
  const auto add = [&](const std::string& path) {
    for (const auto& part : split(path, '/')) {
      if (part == "..") {
        if (!parts.empty()) {
          parts.pop_back();
        }
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
    }
  };
  if (value.empty() || value[0] != '/') {
    add(base);
  }
  add(value);
  std::string out;
  for (const auto& part : parts) {
    out += "/" + part;
  }
  return out.empty() ? "/" : out;
}

// The model as a folder name: every byte other than A-Za-z0-9._- turned into '_', and a
// leading '.' kept from hiding the folder.
std::string model_folder(const std::string& model) {
  std::string folder = model;
  for (char& c : folder) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    c = plain ? c : '_';
  }
  return !folder.empty() && folder[0] == '.' ? "_" + folder : folder;
}

// berth_<folder>_app<n>; past 100 characters, berth_<first 70 of the folder>_<8 hex of the
// model's SHA-1>_app<n>, so that two long models stay apart.
std::string default_target(const std::string& model, const std::string& n) {
  const std::string folder = model_folder(model);
  const std::string target = "berth_" + folder + "_app" + n;
  if (target.size() <= 100) {
    return target;
  }
  return "berth_" + folder.substr(0, 70) + "_" + sha1_hex(model).substr(0, 8) + "_app" + n;
}

// The keywords of add_generated_app, parsed as cmake_parse_arguments does: a one-value
// keyword takes the next argument, a list keyword every argument up to the next keyword.
struct Keywords {
  std::map<std::string, std::string> one;                // TEMPLATE, OUTPUT_DIR, ...
  std::map<std::string, std::vector<std::string>> list;  // PORTS, VARS
  std::vector<std::string> unknown;
  std::vector<std::string> problems;
};

Keywords parse_keywords(const std::vector<std::string>& args) {
  static const std::set<std::string> one = {"TEMPLATE", "OUTPUT_DIR", "SOURCES", "POOL", "TARGET"};
  static const std::set<std::string> list = {"PORTS", "VARS"};
  Keywords out;
  std::string current;    // the keyword whose values come next
  bool has_value = true;  // whether `current` got one
  const auto close = [&] {
    if (!has_value) {
      out.problems.push_back(current + " needs a value");
    }
  };
  for (std::size_t i = 2; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (one.count(a) || list.count(a)) {
      close();
      if (one.count(a) && (out.one.count(a) || current == a)) {
        out.problems.push_back(a + " is given twice");
      }
      current = a, has_value = false;
      if (list.count(a)) {
        out.list[a];  // a list keyword may come again: its values add up
      }
    } else if (list.count(current)) {
      out.list[current].push_back(a), has_value = true;
    } else if (one.count(current) && !has_value) {
      out.one[current] = a, has_value = true;
    } else {
      out.unknown.push_back(a);
    }
  }
  close();
  return out;
}

// The whole call for a message: add_generated_app(<model> <n>), or what it was given.
std::string call_text(const std::vector<std::string>& args) {
  std::string text = "add_generated_app(";
  for (std::size_t i = 0; i < args.size() && i < 2; ++i) {
    std::string shown = args[i];
    for (std::size_t at = 0; (at = shown.find(';', at)) != std::string::npos; at += 2) {
      shown.insert(at, "\\");
    }
    text += (i ? " " : "") + shown;
  }
  return text + ")";
}

// The model and the app number, or why not.
void check_name(const std::vector<std::string>& args, std::vector<std::string>& problems) {
  if (args.empty()) {
    problems.push_back(
        "the model and the app number are missing; for example "
        "add_generated_app(openai/gpt-5-mini 1)");
    return;
  }
  if (args.size() < 2) {
    problems.push_back(
        "the app number is missing; give the model and the app's number, for "
        "example add_generated_app(" +
        args[0] + " 1)");
    return;
  }
  const std::string& model = args[0];
  const std::string& n = args[1];
  if (model.empty()) {
    problems.push_back("the model name is empty");
  } else if (model.find(';') != std::string::npos) {
    problems.push_back(
        "a model name with ';' cannot travel through CMake lists. Reserve it "
        "with the berth command line instead.");
  }
  const bool number = !n.empty() && n.size() <= 7 && n[0] != '0' &&
                      n.find_first_not_of("0123456789") == std::string::npos &&
                      std::stoul(n) <= k_max_app;
  if (!number) {
    problems.push_back("the app number " + quote(n) + " is not a whole number from 1 to 1000000");
  }
}

// PORTS name=port...: the app's pins.
void apply_ports(const std::vector<std::string>& values, PlanEntry& e,
                 std::vector<std::string>& problems) {
  for (const auto& pin : values) {
    const std::size_t eq = pin.find('=');
    const std::string name = pin.substr(0, eq),
                      port = eq == std::string::npos ? "" : pin.substr(eq + 1);
    const bool named =
        !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    if (!named || port.empty() || port.find_first_not_of("0123456789") != std::string::npos) {
      problems.push_back("PORTS " + quote(pin) +
                         " is not <name>=<port> (for example backend=5101)");
    } else if (port.size() > 5 || std::stoul(port) < 1 || std::stoul(port) > 65535) {
      problems.push_back("PORTS " + quote(pin) + ": " + port + " is not a port (1 to 65535)");
    } else if (!e.request.pins.emplace(name, static_cast<std::uint16_t>(std::stoul(port))).second) {
      problems.push_back("PORTS names " + quote(name) + " twice");
    }
  }
}

// VARS key=value...: template variables.
void apply_vars(const std::vector<std::string>& values, PlanEntry& e,
                std::vector<std::string>& problems) {
  for (const auto& var : values) {
    const std::size_t eq = var.find('=');
    const std::string key = var.substr(0, std::min(eq, var.size()));
    const bool named = eq != std::string::npos && !key.empty() && !std::isdigit(key[0]) &&
                       key.find_first_not_of(
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                           "0123456789_") == std::string::npos;
    if (!named) {
      problems.push_back("VARS " + quote(var) +
                         " is not <key>=<value> (for example app_title=Todo)");
    } else if (!e.vars.emplace(key, var.substr(eq + 1)).second) {
      problems.push_back("VARS sets " + quote(key) + " twice");
    }
  }
}

// Target names CMake or its generators keep for themselves.
bool reserved_target(const std::string& name) {
  static const std::set<std::string> names = {
      "all",           "clean",          "install",    "test",          "help",
      "package",       "package_source", "edit_cache", "rebuild_cache", "list_install_components",
      "install/local", "install/strip",  "depend",     "preinstall",    "ZERO_CHECK",
      "ALL_BUILD",     "RUN_TESTS",      "INSTALL",    "PACKAGE",       "berth_apps"};
  return names.count(name) > 0;
}

// TEMPLATE, SOURCES, OUTPUT_DIR, POOL and TARGET.
void apply_one(const Keywords& k, const RawCall& call, PlanEntry& e,
               std::vector<std::string>& problems) {
  const auto value = [&](const char* key) -> const std::string* {
    const auto it = k.one.find(key);
    return it == k.one.end() ? nullptr : &it->second;
  };
  std::error_code ec;
  if (const auto* t = value("TEMPLATE")) {
    const std::string dir = absolute_path(*t, call.source_dir);
    const bool folder = fs::is_directory(dir, ec);
    if (t->find('/') != std::string::npos && !folder) {
      problems.push_back("TEMPLATE folder " + quote(dir) + " does not exist");
    }
    e.template_name = folder ? dir : *t;
  }
  if (const auto* s = value("SOURCES")) {
    e.overlay = absolute_path(*s, call.source_dir);
    if (!fs::is_directory(e.overlay, ec)) {
      problems.push_back("SOURCES " + quote(*s) + " is not a folder (" + quote(e.overlay) + ")");
    }
  }
  if (const auto* o = value("OUTPUT_DIR")) {
    e.out = absolute_path(*o, call.binary_dir);
  }
  if (const auto* p = value("POOL")) {
    e.request.pool = *p;
    if (p->empty() ||
        !(std::islower(static_cast<unsigned char>((*p)[0])) || std::isdigit((*p)[0])) ||
        p->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
      problems.push_back("POOL " + quote(*p) + " is not a pool name");
    }
  }
  if (const auto* t = value("TARGET")) {
    e.target = *t;
    if (!configure::is_target_name(*t)) {
      problems.push_back("TARGET " + quote(*t) + " is not a valid target name");
    } else if (reserved_target(*t)) {
      problems.push_back("TARGET " + quote(*t) +
                         " is a name CMake keeps for itself; choose another");
    }
  }
}

// The entry of one call, its defaults applied; what is wrong with it in `problems`.
PlanEntry entry_of(const RawCall& call, const std::string& top_binary, const std::string& ns,
                   std::vector<std::string>& problems) {
  PlanEntry e;
  e.declared_in = call.file;
  check_name(call.args, problems);
  if (!problems.empty()) {
    return e;
  }
  const std::string& model = call.args[0];
  e.request.key = AppKey{model, static_cast<std::uint32_t>(std::stoul(call.args[1])), ns};
  try {
    validate_model(model);
  } catch (const Error& err) {
    problems.push_back(err.what());
  }
  e.out = top_binary + "/apps/" + model_folder(model) + "/app" + call.args[1];
  e.target = default_target(model, call.args[1]);
  const Keywords k = parse_keywords(call.args);
  if (!k.unknown.empty()) {
    std::string joined;
    for (const auto& a : k.unknown) {
      joined += (joined.empty() ? "" : " ") + a;
    }
    problems.push_back("unknown argument(s) " + quote(joined) +
                       ". The keywords are TEMPLATE, OUTPUT_DIR, SOURCES, PORTS, VARS, POOL and "
                       "TARGET");
  }
  problems.insert(problems.end(), k.problems.begin(), k.problems.end());
  if (const auto it = k.list.find("PORTS"); it != k.list.end()) {
    apply_ports(it->second, e, problems);
  }
  if (const auto it = k.list.find("VARS"); it != k.list.end()) {
    apply_vars(it->second, e, problems);
  }
  apply_one(k, call, e, problems);
  return e;
}

}  // namespace

std::vector<PlanEntry> read_calls(const std::string& path, const fs::path& binary_dir,
                                  const fs::path& source_dir, const std::string& ns) {
  const std::string text = read_file(path);
  std::vector<RawCall> calls;
  for (const auto& record : split(text, k_record)) {
    if (!record.empty()) {
      calls.push_back(parse_record(record));
    }
  }
  std::vector<PlanEntry> located(calls.size());  // where each call was made, for messages
  for (std::size_t i = 0; i < calls.size(); ++i) {
    located[i].declared_in = calls[i].file;
  }
  locate_declarations(located, source_dir);
  const std::string top = absolute_path(binary_dir.string(), fs::current_path().string());
  std::vector<PlanEntry> entries;
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    std::vector<std::string> wrong;
    if (!calls[i].intact) {
      wrong.push_back("its arguments could not be read (one holds a byte 0x1e or 0x1f?)");
    }
    PlanEntry e = calls[i].intact ? entry_of(calls[i], top, ns, wrong) : PlanEntry{};
    e.declared = located[i].declared;
    for (const auto& w : wrong) {
      problems.push_back((e.declared.empty() ? "a recorded call" : e.declared) + ": " +
                         call_text(calls[i].args) + ": " + w);
    }
    entries.push_back(std::move(e));
  }
  if (!problems.empty()) {
    configure::refuse(problems);
  }
  return entries;
}

}  // namespace berth
