#include "generator/template/render.hpp"

#include <algorithm>
#include <optional>

namespace berth {

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
  if (i < text.size() && text[i] == '|') {
    const std::size_t def_begin = ++i;
    if (!(cache.from <= def_begin && def_begin <= cache.stop)) {
      cache.from = def_begin;
      cache.stop = std::min(text.find_first_of("}\n", def_begin), text.size());
    }
    i = cache.stop;
    p.fallback = std::string(trim(text.substr(def_begin, i - def_begin)));
  }
  if (i + 1 >= text.size() || text[i] != '}' || text[i + 1] != '}') {
    return std::nullopt;
  }
  p.end = i + 2;
  return p;
}

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

}  // namespace

Rendered render(std::string_view text, const Context& context, const std::string& file) {
  Rendered out;
  out.text.reserve(text.size());
  StopCache cache;
  std::size_t line = 1;
  std::size_t line_start = 0;
  // Characters counted from line_start up to column_at, so columns cost O(text) in all.
  std::size_t column_at = 0;
  std::size_t column = 1;
  std::size_t i = 0;
  // Advances the line count over text[from, to).
  const auto track = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
      if (text[k] == '\n') {
        ++line;
        line_start = k + 1;
      }
    }
  };
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
      track(i, brace + 1);
      i = brace + 1;
      continue;
    }
    if (escaped) {
      out.text.append(text.substr(i, brace - 1 - i));
      out.text.append(text.substr(brace, p->end - brace));
      track(i, p->end);
      i = p->end;
      continue;
    }
    out.text.append(text.substr(i, brace - i));
    track(i, brace);
    auto it = context.find(p->key);
    if (it != context.end()) {
      out.text.append(it->second);
    } else if (p->fallback) {
      out.text.append(*p->fallback);
    } else {
      if (column_at < line_start) {
        column_at = line_start;
        column = 1;
      }
      for (; column_at < brace; ++column_at) {
        column += (static_cast<unsigned char>(text[column_at]) & 0xC0) != 0x80;  // characters
      }
      if (out.errors.size() >= k_max_render_errors) {
        ++out.more_errors;
        track(brace, p->end);
        i = p->end;
        continue;
      }
      RenderError e;
      e.file = file;
      e.line = line;
      e.column = column;
      e.message = "unknown placeholder '" + p->key + "' with no default";
      std::string best;
      std::size_t best_distance = 3;
      for (const auto& [key, value] : context) {
        const std::size_t d = edit_distance(p->key, key);
        if (d < best_distance) {
          best_distance = d;
          best = key;
        }
      }
      e.message += best.empty() ? "; give it a default: {{" + p->key + "|value}}"
                                : "; did you mean '" + best + "'?";
      out.errors.push_back(std::move(e));
    }
    track(brace, p->end);
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
