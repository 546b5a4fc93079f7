#include "store/json_read.hpp"

#include <optional>
#include <set>

#include <algorithm>
#include <climits>

namespace berth {

using nlohmann::json;

std::string json_shown(const json& value) {
  std::string text = value.dump(-1, ' ', true, json::error_handler_t::replace);
  if (text.size() > 60) {
    text = text.substr(0, 57) + "...";
  }
  return text;
}

long long json_integer(const json& value, long long min, long long max, const std::string& what,
                       const std::string& where, ErrorKind kind) {
  const bool too_big = value.is_number_unsigned() &&
                       value.get<unsigned long long>() > static_cast<unsigned long long>(LLONG_MAX);
  if (!value.is_number_integer() || too_big) {
    throw Error(kind, where + ": " + what + " must be a whole number, not " + json_shown(value));
  }
  const long long v = value.get<long long>();
  if (v < min || v > max) {
    throw Error(kind, where + ": " + what + " " + std::to_string(v) + " is out of range (" +
                          std::to_string(min) + " to " + std::to_string(max) + ")");
  }
  return v;
}

JsonFields::JsonFields(const json& object, std::string where, ErrorKind kind)
    : m_object(object), m_where(std::move(where)), m_kind(kind) {
  if (!object.is_object()) {
    throw Error(kind, m_where + " must be a JSON object, not " + json_shown(object));
  }
}

void JsonFields::fail(const std::string& message) const {
  throw Error(m_kind, m_where + ": " + message);
}

void JsonFields::only(std::initializer_list<const char*> allowed) const {
  for (const auto& item : m_object.items()) {
    const std::string& k = item.key();  // a plain name: clang's C++17 cannot capture bindings
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; })) {
      std::string list;
      for (const char* a : allowed) {
        list += (list.empty() ? "" : ", ") + std::string(a);
      }
      fail("unknown field " + quote(k) + "; known: " + list);
    }
  }
}

std::string JsonFields::string(const char* key) const {
  if (!has(key)) {
    fail("missing " + quote(key));
  }
  const json& v = m_object.at(key);
  if (!v.is_string()) {
    fail(quote(key) + " must be a string, not " + json_shown(v));
  }
  return v.get<std::string>();
}

long long JsonFields::integer(const char* key, long long min, long long max) const {
  if (!has(key)) {
    fail("missing " + quote(key));
  }
  return json_integer(m_object.at(key), min, max, quote(key), m_where, m_kind);
}

const json& JsonFields::object(const char* key) const {
  if (!has(key)) {
    fail("missing " + quote(key));
  }
  const json& v = m_object.at(key);
  if (!v.is_object()) {
    fail(quote(key) + " must be an object, not " + json_shown(v));
  }
  return v;
}

const json& JsonFields::array(const char* key) const {
  if (!has(key)) {
    fail("missing " + quote(key));
  }
  const json& v = m_object.at(key);
  if (!v.is_array()) {
    fail(quote(key) + " must be a list, not " + json_shown(v));
  }
  return v;
}

std::string JsonFields::string_or(const char* key, const std::string& fallback) const {
  return has(key) ? string(key) : fallback;
}

std::vector<std::string> JsonFields::strings_or(const char* key,
                                                std::vector<std::string> fallback) const {
  if (!has(key)) {
    return fallback;
  }
  std::vector<std::string> out;
  for (const auto& item : array(key)) {
    if (!item.is_string()) {
      fail(quote(key) + " must be a list of strings; it holds " + json_shown(item));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> JsonFields::string_map(const char* key) const {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : object(key).items()) {
    if (!v.is_string()) {
      fail(quote(key) + ": " + quote(k) + " must be a string, not " + json_shown(v));
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

namespace {

// One pass over the text: nlohmann's own document builder, which here also notes the first key
// given twice in one object (nlohmann keeps the last of two equal keys silently). The parse goes
// on past that key, so a syntax error anywhere is still the error reported.
class DomNotingTwice : public nlohmann::detail::json_sax_dom_parser<json> {
  using Base = nlohmann::detail::json_sax_dom_parser<json>;

 public:
  using Base::Base;
  std::optional<std::string> twice;

  bool start_object(std::size_t len) {
    m_open.emplace_back();
    return Base::start_object(len);
  }
  bool key(string_t& k) {
    if (!twice && seen(k)) {
      twice = k;
    }
    return Base::key(k);
  }
  bool end_object() {
    m_open.pop_back();
    return Base::end_object();
  }

 private:
  // Whether the innermost open object had `k` already (it has it from now on).
  bool seen(const std::string& k) {
    Keys& keys = m_open.back();
    if (keys.many.empty() ? std::find(keys.few.begin(), keys.few.end(), k) != keys.few.end()
                          : keys.many.count(k) > 0) {
      return true;
    }
    if (keys.few.size() < 16) {
      keys.few.push_back(k);
    } else {  // a big object (a model map): a set from here on
      keys.many.insert(keys.few.begin(), keys.few.end());
      keys.few.clear();
      keys.many.insert(k);
      keys.few.shrink_to_fit();
    }
    return false;
  }

  struct Keys {
    std::vector<std::string> few;
    std::set<std::string> many;
  };
  std::vector<Keys> m_open;
};

}  // namespace

nlohmann::json parse_json(const std::string& text, const std::string& what) {
  json doc;
  DomNotingTwice reader(doc);
  try {
    json::sax_parse(text, &reader);
  } catch (const json::parse_error& e) {
    throw usage_error(what + " is not valid JSON (at byte " + std::to_string(e.byte) + ")");
  }
  if (reader.twice) {
    throw usage_error(what + ": key " + quote(*reader.twice) +
                      " appears twice in one object; give each key once");
  }
  return doc;
}

}  // namespace berth
