#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace berth {

// One file of a template, read into memory.
struct TemplateFile {
  std::string path;  // relative to the template's files folder, '/'-separated; may hold
                     // placeholders
  std::string content;
  bool render = true;     // false: copied verbatim (listed under `copy`, or binary)
  bool starter = false;   // written only when missing, never overwritten (`starter`)
  bool binary = false;    // holds a NUL byte or is not valid UTF-8
  unsigned mode = 0644;   // the `modes` glob's, else 0755 for an executable file, else 0644
  bool mode_set = false;  // a `modes` glob gave the mode
  std::string part;       // the `parts` entry it belongs to; empty: a root file
};

// std::regex's traits, with two look-ups made cheap. libstdc++ builds a 256-entry table for
// every bracket expression ([a-z0-9._-]) and, for each of the 256 characters, asks the locale
// for a primary collation key and a character class, even when the expression has neither an
// equivalence class nor a character class: two facet look-ups (dynamic_casts) and a strxfrm per
// character, most of a scaffold's CPU. berth never changes the global locale, so patterns run
// in the classic one, where the primary key is the ASCII lower case of the text.
struct PatternTraits : std::regex_traits<char> {
  template <class It>
  string_type transform_primary(It first, It last) const {
    string_type s(first, last);
    for (char& c : s) {
      c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return s;
  }
  bool isctype(char c, char_class_type f) const {
    return !(f == char_class_type()) && std::regex_traits<char>::isctype(c, f);
  }
};
using Pattern = std::basic_regex<char, PatternTraits>;

struct TemplateVariable {
  // Without a default, only a --set value or a placeholder's own `{{key|default}}` fills it.
  std::optional<std::string> default_value;
  std::string description;
  // `pattern`: an ECMAScript regular expression every value must match whole (the default
  // too), for values that land where only some text is safe (an image tag in YAML, say).
  std::string pattern;
  std::shared_ptr<const Pattern> matcher;  // the pattern, compiled once
};

// A variant: when a variable has a given value, the files of variants/<name>/ are used instead
// of (or beside) the template's own, and the app holds a port of each extra pool named.
struct TemplateVariant {
  std::string variable;
  std::string value;
  std::vector<std::string> extra;  // extra pools (the Kubernetes NodePort pool, say)
  std::vector<TemplateFile> files;
};

// A template folder (see docs/templates.md): `template.json` (the manifest) beside `files/`;
// a manifest beside the files themselves; or a bare folder of files with no manifest.
struct Template {
  std::string name;
  std::string description;
  std::filesystem::path root;
  std::filesystem::path files_dir;  // where the files are: root/files, or root itself
  bool bare = false;                // no template.json: every file rendered, ports found
  std::vector<std::string> ports;   // named ports it needs from the pool
  std::map<std::string, TemplateVariable> variables;  // declared variables with their defaults
  std::vector<TemplateFile> files;                    // sorted by path
  std::vector<std::filesystem::path> folders;         // root, the files folder and every one below
  // `parts`: name -> globs. An app may lack a part (a backend-only app); files in no part are
  // its root files.
  std::map<std::string, std::vector<std::string>> parts;
  // without/<part>/: files used instead of (or beside) the root files when the part is left out.
  std::map<std::string, std::vector<TemplateFile>> without;
  // `needs`: file -> {dependency list file -> names}: the file is written only when the app's
  // list (package.json, requirements.txt) names them all.
  std::map<std::string, std::map<std::string, std::vector<std::string>>> needs;
  // `variants`: name -> when its variable has its value, its files and extra pools.
  std::map<std::string, TemplateVariant> variants;
  // `modes`: glob -> file mode, as the manifest lists them.
  std::vector<std::pair<std::string, unsigned>> modes;

  // The manifest file, when there is one.
  std::optional<std::filesystem::path> manifest() const;
};

// The mode the template's `modes` give `path` (the longest matching glob), if any.
std::optional<unsigned> mode_of(const Template& t, const std::string& path);

// Throws a usage error unless `value` matches the variable's `pattern` (when it has one),
// naming the variable, the value and the pattern.
void check_variable(const std::string& key, const TemplateVariable& var, const std::string& value);

// Loads a template by name (searched in `search`, in order: the first folder of that name is
// used, with or without a manifest) or by folder (a value holding '/' or naming an existing
// folder). Throws a usage error naming the problem: no such template, a malformed manifest, a
// file matching neither `render` nor `copy`, a symlink leading outside the template.
Template load_template(const std::string& name_or_dir,
                       const std::vector<std::filesystem::path>& search);

// The variants an app of `tmpl` gets with these variable values (`--set`/VARS; a variable not
// set has its default), in name order.
std::vector<const TemplateVariant*> selected_variants(
    const Template& tmpl, const std::map<std::string, std::string>& sets);
// The extra pools those variants name, each once, in order.
std::vector<std::string> extra_pools(const Template& tmpl,
                                     const std::map<std::string, std::string>& sets);

// Whether berth itself gives `key` a value (model, app_num, project_name, the legacy keys,
// `<name>_port`, `<NAME>_PORT`, and their `_json` forms); for a port key, its port name.
struct KeyKind {
  bool berth = false;
  std::optional<std::string> port;
};
KeyKind classify_key(const std::string& key);
// The earlier system's key for a named port: "backend" -> "BACKEND_PORT".
std::string legacy_port_key(const std::string& port);
// `key` without a trailing "_json" (berth's JSON form of another key), else `key` itself.
std::string strip_json_form(const std::string& key);

// What a set of files' placeholders ask for: the named ports and the other keys, each with
// its inline defaults (sorted, distinct) and the files that use it.
struct PlaceholderScan {
  std::vector<std::string> ports;
  struct Use {
    std::vector<std::string> defaults;
    std::vector<std::string> files;
  };
  std::map<std::string, Use> variables;
};
PlaceholderScan scan_placeholders(const std::vector<TemplateFile>& files);

// Whether `bytes` is binary: holds a NUL byte or is not valid UTF-8.
bool is_binary(std::string_view bytes);

// Where templates are looked for: $BERTH_TEMPLATE_PATH (':'-separated), then the installed
// share/berth/templates beside the executable, then this source tree's templates/.
std::vector<std::filesystem::path> template_search_path();

// Shell-style glob on '/'-separated paths: `*` and `?` stay within one path component, `**`
// crosses them (`**/` also matches nothing). Time is bounded by |pattern| x |path|; manifests
// may hold globs of up to k_max_glob_bytes.
constexpr std::size_t k_max_glob_bytes = 1024;
bool glob_match(const std::string& pattern, const std::string& path);

}  // namespace berth
