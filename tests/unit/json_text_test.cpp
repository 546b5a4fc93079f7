#include <catch2/catch.hpp>

#include <sstream>

#include <nlohmann/json.hpp>

#include "generator/io/json_text.hpp"

using namespace berth;

// json_text writes what nlohmann's dump(2) writes for the same values, at any depth.
TEST_CASE("json_text writes an object byte for byte as dump(2) does") {
  const std::vector<std::string> odd = {"plain",       "q\"uote", "back\\slash", "tab\there",
                                        "caf\xc3\xa9", "\x01",    "del\x7f"};
  const std::vector<NamedPort> ports = {{"frontend", 8001}, {"backend", 5001}, {"a b", 1}};
  for (int indent : {2, 4, 6, 130}) {  // 130: past the run of spaces json_text appends from
    std::string text;
    namespace jt = json_text;
    text += "{\n";
    jt::strings(jt::key(text, indent, "empty"), indent, {}).append(",\n");
    jt::ports(jt::key(text, indent, "none"), indent, {}).append(",\n");
    jt::ports(jt::key(text, indent, "ports"), indent, ports).append(",\n");
    jt::str(jt::key(text, indent, "s"), odd[1]).append(",\n");
    jt::strings(jt::key(text, indent, "z"), indent, odd).append("\n");
    text.append(static_cast<std::size_t>(indent) - 2, ' ') += "}";

    nlohmann::json ports_dom = nlohmann::json::object();
    for (const auto& p : ports) {
      ports_dom[p.name] = p.port;
    }
    const nlohmann::json dom = {{"empty", nlohmann::json::array()},
                                {"none", nlohmann::json::object()},
                                {"ports", ports_dom},
                                {"s", odd[1]},
                                {"z", odd}};
    // dump(2) of an object nested (indent - 2) / 2 levels deep: its lines, re-indented.
    std::string expected;
    const std::string pad(static_cast<std::size_t>(indent) - 2, ' ');
    std::istringstream lines(dom.dump(2));
    for (std::string line; std::getline(lines, line);) {
      expected += (expected.empty() ? "" : "\n" + pad) + line;
    }
    CHECK(text == expected);
  }
}

TEST_CASE("json_text refuses invalid UTF-8 as dump does") {
  std::string out;
  CHECK_THROWS_AS(json_text::str(out, "bad\xff"), nlohmann::json::type_error);
}
