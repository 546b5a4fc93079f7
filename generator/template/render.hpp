#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// Values for placeholders, by key.
using Context = std::map<std::string, std::string>;

// A placeholder that could not be filled, located in its file (line and column count from 1;
// the column counts characters, not bytes).
struct RenderError {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;

  // "file:line:column: message"
  std::string to_string() const;
};

// At most this many errors are listed per text; the rest are only counted.
constexpr std::size_t k_max_render_errors = 100;

struct Rendered {
  std::string text;
  std::vector<RenderError> errors;  // failed placeholders; when non-empty, text is partial
  std::size_t more_errors = 0;      // failed placeholders beyond k_max_render_errors

  bool ok() const { return errors.empty(); }
};

// Fills the placeholders of `text` from `context`. Pure: no filesystem, no state.
//
// A placeholder is `{{key}}` or `{{key|default}}`, key [A-Za-z_][A-Za-z0-9_]*, with optional
// spaces inside the braces and around the key; a default runs to the closing braces (spaces
// around it dropped) and holds no '}' or newline. `\{{key}}` writes the placeholder itself,
// without the backslash. Every other byte passes through unchanged, so JSX `style={{ margin: 0 }}`,
// Jinja `{{ url_for('static') }}`, Go `{{ .Name }}` and compose `${NAME:-x}` are left alone.
//
// A key missing from the context with no default is an error located at its `{{`, naming the
// closest known key when one is near. `file` only labels errors. Time is linear in the text.
Rendered render(std::string_view text, const Context& context, const std::string& file);

// Whether `key` can be a placeholder's key: [A-Za-z_][A-Za-z0-9_]*.
bool is_placeholder_key(const std::string& key);

// One placeholder as written: its key and its inline default, if any.
struct PlaceholderUse {
  std::string key;
  std::optional<std::string> fallback;
};

// Every placeholder render() would fill in `text`, in order (escaped ones left out).
std::vector<PlaceholderUse> placeholders(std::string_view text);

// Whether `text` still holds a placeholder that render() would fill (for output checks).
bool has_placeholder(std::string_view text);

// Levenshtein distance, on bytes (for "did you mean" suggestions).
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace berth
