#include "generator/configure/steps.hpp"

#include <climits>
#include <sstream>

#include "generator/io/fileio.hpp"
#include "generator/io/inputs.hpp"
#include "store/json_read.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace configure {

std::string where(std::size_t index, const PlanEntry& e) {
  return "entry " + std::to_string(index + 1) + " (" + describe(e.request.key) +
         (e.declared.empty() ? "" : ", declared at " + e.declared) + ")";
}

[[noreturn]] void refuse(const std::vector<std::string>& problems) {
  throw Error(ErrorKind::usage,
              "plan refused, nothing changed: " + std::to_string(problems.size()) + " problem(s)",
              problems);
}

bool is_target_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.size() <= 200 &&
         name.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
             "0123456789_.+-") == std::string::npos;
}

}  // namespace configure

namespace {

// Lines of the add_generated_app( calls written in `text`, outside function() and macro()
// bodies (a wrapper's call is not the file's own).
std::vector<std::size_t> call_lines(const std::string& text) {
  std::vector<std::size_t> lines;
  bool in_definition = false;
  std::istringstream in(text);
  std::string line;
  const auto starts = [](const std::string& l, const char* word) {
    std::size_t i = l.find_first_not_of(" \t");
    if (i == std::string::npos) {
      return false;
    }
    std::size_t k = 0;
    for (; word[k] != '\0'; ++k, ++i) {
      if (i >= l.size() || std::tolower(static_cast<unsigned char>(l[i])) != word[k]) {
        return false;
      }
    }
    i = l.find_first_not_of(" \t", i);
    return i != std::string::npos && l[i] == '(';
  };
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (starts(line, "function") || starts(line, "macro")) {
      in_definition = true;
    } else if (starts(line, "endfunction") || starts(line, "endmacro")) {
      in_definition = false;
    } else if (!in_definition && starts(line, "add_generated_app")) {
      lines.push_back(number);
    }
  }
  return lines;
}

}  // namespace

void locate_declarations(std::vector<PlanEntry>& entries, const fs::path& source_dir) {
  std::map<std::string, std::vector<std::size_t>> by_file;  // file -> entries, in order
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].declared.empty() && !entries[i].declared_in.empty()) {
      by_file[entries[i].declared_in].push_back(i);
    }
  }
  for (const auto& [file, indexes] : by_file) {
    const fs::path path(file);
    std::string shown = path.lexically_relative(source_dir).generic_string();
    if (shown.empty() || shown.rfind("..", 0) == 0) {
      shown = path.generic_string();
    }
    const auto text = read_if_file(path);
    const auto lines = text ? call_lines(*text) : std::vector<std::size_t>{};
    // The n-th call made from a file is its n-th call in the text, when the counts agree;
    // otherwise (loops, wrappers) only the file is named.
    const bool exact = lines.size() == indexes.size();
    for (std::size_t k = 0; k < indexes.size(); ++k) {
      entries[indexes[k]].declared = exact ? shown + ":" + std::to_string(lines[k]) : shown;
    }
  }
}

std::vector<PlanEntry> read_plan(const std::string& path, const std::string& ns) {
  const json doc = read_json_file(path);
  if (!doc.is_array()) {
    throw usage_error(quote(path) + " must hold a JSON list of apps");
  }
  std::vector<PlanEntry> entries;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const JsonFields j(doc[i], path + ": entry " + std::to_string(i + 1));
    j.only({"model", "app", "namespace", "pool", "ports", "template", "vars", "overlay", "out",
            "target", "declared", "declared_in"});
    PlanEntry e;
    e.request.key = entry_key(j, "app", ns);
    e.request.pool = j.string_or("pool", "");
    if (j.has("ports")) {
      e.request.pins = entry_ports(j);
    }
    e.template_name = j.string_or("template", "react-flask");
    if (j.has("vars")) {
      e.vars = j.string_map("vars");
    }
    e.overlay = j.string_or("overlay", "");
    e.out = j.string_or("out", "");
    e.target = j.string_or("target", "");
    // The target names the app's stamp file: a plain file name, never a path.
    if (!e.target.empty() && !configure::is_target_name(e.target)) {
      j.fail("target " + quote(e.target) +
             " is not a target name (letters, digits, '_', '.', '+', '-'; at most 200)");
    }
    e.declared = j.string_or("declared", "");
    e.declared_in = j.string_or("declared_in", "");
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace berth
