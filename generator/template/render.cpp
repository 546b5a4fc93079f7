#include "generator/template/render.hpp"

#include <algorithm>
#include <optional>

namespace berth {

bool is_placeholder_key(const std::string& key) {
  const auto start = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  };
  return !key.empty() && start(key[0]) && std::all_of(key.begin(), key.end(), [&](char c) {
    return start(c) || (c >= '0' && c <= '9');
  });
}

std::string RenderError::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace {

bool key_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool key_char(char c) {
  return key_start(c) || (c >= '0' && c <= '9');
}

struct Placeholder {
  std::size_t end = 0;  // one past the closing braces
  std::string key;
  std::optional<std::string> fallback;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

// Where a default ends: the next '}' or newline at or after a position. Placeholders are parsed
// left to right, so the answer found once serves every later default that starts before it:
// an unterminated default (`{{a|{{a|...`) costs one scan, not one per placeholder.
struct StopCache {
  std::size_t from = 1;  // the cached answer is valid for positions in [from, stop]
  std::size_t stop = 0;
};

// Parses a placeholder starting at text[pos] == '{', text[pos + 1] == '{'.
std::optional<Placeholder> parse_at(std::string_view text, std::size_t pos, StopCache& cache) {
  std::size_t i = pos + 2;
  while (i < text.size() && text[i] == ' ') {
    ++i;
  }
  if (i >= text.size() || !key_start(text[i])) {
    return std::nullopt;
  }
  Placeholder p;
  const std::size_t key_begin = i;
  while (i < text.size() && key_char(text[i])) {
    ++i;
  }
  p.key = std::string(text.substr(key_begin, i - key_begin));
  while (i < text.size() && text[i] == ' ') {
    ++i;
  }
  std::optional<std::size_t> def_begin;
  if (i < text.size() && text[i] == '|') {
    def_begin = ++i;
    if (!(cache.from <= *def_begin && *def_begin <= cache.stop)) {
      cache.from = *def_begin;
      cache.stop = std::min(text.find_first_of("}\n", *def_begin), text.size());
    }
    i = cache.stop;
  }
  if (i + 1 >= text.size() || text[i] != '}' || text[i + 1] != '}') {
    return std::nullopt;  // not a placeholder: nothing copied, so a run of these stays linear
  }
  if (def_begin) {
    p.fallback = std::string(trim(text.substr(*def_begin, i - *def_begin)));
  }
  p.end = i + 2;
  return p;
}

// The message for a placeholder with no value: the closest key of the context (edit distance
// under 3) as a suggestion, else how to give it a default.
std::string unknown_message(const std::string& key, const Context& context) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& [k, value] : context) {
    const std::size_t d = edit_distance(key, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  return "unknown placeholder '" + key + "' with no default" +
         (best.empty() ? "; give it a default: {{" + key + "|value}}"
                       : "; did you mean '" + best + "'?");
}

// Where the renderer is in the text: lines counted as it goes, columns counted from the start
// of the line up to the last column asked for, so positions cost O(text) in all.
class Position {
 public:
  explicit Position(std::string_view text) : m_text(text) {}

  // Advances the line count over text[from, to).
  void track(std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
      if (m_text[k] == '\n') {
        ++m_line;
        m_line_start = k + 1;
      }
    }
  }

  std::size_t line() const { return m_line; }

  // The column (in characters) of `at`, which lies on the current line.
  std::size_t column(std::size_t at) {
    if (m_column_at < m_line_start) {
      m_column_at = m_line_start;
      m_column = 1;
    }
    for (; m_column_at < at; ++m_column_at) {
      m_column += (static_cast<unsigned char>(m_text[m_column_at]) & 0xC0) != 0x80;
    }
    return m_column;
  }

 private:
  std::string_view m_text;
  std::size_t m_line = 1;
  std::size_t m_line_start = 0;
  std::size_t m_column_at = 0;
  std::size_t m_column = 1;
};

}  // namespace

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

Rendered render(std::string_view text, const Context& context, const std::string& file) {
  Rendered out;
  out.text.reserve(text.size());
  StopCache cache;
  Position pos(text);
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t brace = text.find("{{", i);
    if (brace == std::string_view::npos) {
      out.text.append(text.substr(i));
      break;
    }
    const auto p = parse_at(text, brace, cache);
    // `\{{key}}`: the backslash must be in the unconsumed text, not already written out.
    const bool escaped = brace > i && text[brace - 1] == '\\';
    if (!p) {
      out.text.append(text.substr(i, brace + 1 - i));  // pass the first '{' through, rescan
      pos.track(i, brace + 1);
      i = brace + 1;
      continue;
    }
    if (escaped) {
      out.text.append(text.substr(i, brace - 1 - i));
      out.text.append(text.substr(brace, p->end - brace));
    } else {
      out.text.append(text.substr(i, brace - i));
      pos.track(i, brace);
      i = brace;
      if (auto it = context.find(p->key); it != context.end()) {
        out.text.append(it->second);
      } else if (p->fallback) {
        out.text.append(*p->fallback);
      } else if (out.errors.size() >= k_max_render_errors) {
        ++out.more_errors;
      } else {
        const std::size_t column = pos.column(brace);
        out.errors.push_back({file, pos.line(), column, unknown_message(p->key, context)});
      }
    }
    pos.track(i, p->end);
    i = p->end;
  }
  return out;
}

std::vector<PlaceholderUse> placeholders(std::string_view text) {
  std::vector<PlaceholderUse> out;
  StopCache cache;
  for (std::size_t pos = text.find("{{"); pos != std::string_view::npos;) {
    const auto p = parse_at(text, pos, cache);
    if (!p) {
      pos = text.find("{{", pos + 1);
      continue;
    }
    if (pos == 0 || text[pos - 1] != '\\') {
      out.push_back({p->key, p->fallback});
    }
    pos = text.find("{{", p->end);
  }
  return out;
}

bool has_placeholder(std::string_view text) {
  StopCache cache;
  for (std::size_t pos = text.find("{{"); pos != std::string_view::npos;
       pos = text.find("{{", pos + 1)) {
    if (parse_at(text, pos, cache) && (pos == 0 || text[pos - 1] != '\\')) {
      return true;
    }
  }
  return false;
}

}  // namespace berth
