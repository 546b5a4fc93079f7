#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/model.hpp"

// Pretty JSON written straight into a string, byte for byte as nlohmann's dump(2) writes it,
// for outputs too large to build as a DOM first (`list --json` of ten thousand apps, the summary
// of a configure). The caller writes an object's keys in sorted order, as dump does; each
// function takes the indent of the line its value starts on and appends to `out`.
namespace berth::json_text {

// A JSON string. Printable ASCII without a quote or backslash is written as it is (what dump
// writes for it); anything else goes through nlohmann's serializer, which escapes it, and refuses
// invalid UTF-8 as dump does.
std::string& str(std::string& out, const std::string& s);
// `"name": ` at `indent` spaces.
std::string& key(std::string& out, int indent, const char* name);
// An array of strings at `indent`: `[]`, or one item a line at indent + 2.
std::string& strings(std::string& out, int indent, const std::vector<std::string>& items);
// An object of strings by name (a std::map: the names sorted, as dump writes them).
std::string& string_map(std::string& out, int indent,
                        const std::map<std::string, std::string>& map);
// The ports as an object of numbers by name, the names sorted.
std::string& ports(std::string& out, int indent, const std::vector<NamedPort>& ports);

}  // namespace berth::json_text
