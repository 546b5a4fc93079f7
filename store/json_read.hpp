#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/error.hpp"

namespace berth {

// Every JSON field berth reads goes through this checked reader: the exact type (a number is
// never a boolean, a fraction or a string), the range, and errors that name the file and entry
// (`where`) and the field. Nothing is wrapped or truncated in silence.
class JsonFields {
 public:
  // Throws unless `object` is a JSON object. `kind`: usage for input files, runtime for store
  // records.
  JsonFields(const nlohmann::json& object, std::string where, ErrorKind kind = ErrorKind::usage);

  const std::string& where() const { return m_where; }
  bool has(const char* key) const { return m_object.contains(key); }
  const nlohmann::json& raw(const char* key) const { return m_object.at(key); }

  // Throws naming the first field not in `allowed`.
  void only(std::initializer_list<const char*> allowed) const;

  // Required fields: throw when missing or of another type.
  std::string string(const char* key) const;
  long long integer(const char* key, long long min, long long max) const;
  const nlohmann::json& object(const char* key) const;
  const nlohmann::json& array(const char* key) const;

  // Optional fields: the fallback when missing (null counts as missing only where said).
  std::string string_or(const char* key, const std::string& fallback) const;
  std::vector<std::string> strings_or(const char* key, std::vector<std::string> fallback) const;
  // An object of string values.
  std::map<std::string, std::string> string_map(const char* key) const;

  // Throws this reader's error kind with `message` after `where`.
  [[noreturn]] void fail(const std::string& message) const;

 private:
  const nlohmann::json& m_object;
  std::string m_where;
  ErrorKind m_kind;
};

// `value` as an integer in [min, max], or throws `kind` naming `what` at `where`.
long long json_integer(const nlohmann::json& value, long long min, long long max,
                       const std::string& what, const std::string& where,
                       ErrorKind kind = ErrorKind::usage);

// A JSON value, shortened for messages.
std::string json_shown(const nlohmann::json& value);

// Parses JSON text as every file berth reads is parsed: a syntax error or a key given twice in
// one object (which JSON readers disagree on) is a usage error naming `what` and the place.
nlohmann::json parse_json(const std::string& text, const std::string& what);

}  // namespace berth
