#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "generator/io/batch_reader.hpp"
#include "generator/io/inputs.hpp"
#include "store/json_read.hpp"

using namespace berth;

namespace {

// What the full reader makes of `text`, as one line per op.
std::vector<std::string> shown(const std::vector<BatchOp>& ops) {
  std::vector<std::string> out;
  for (const auto& op : ops) {
    std::string line = (op.kind == BatchOp::Kind::release ? "release " : "reserve ") +
                       op.request.key.ns + "|" + op.request.key.model + "|" +
                       std::to_string(op.request.key.app) + "|" + op.request.pool + "|" +
                       op.request.project;
    for (const auto& [name, port] : op.request.pins) {
      line += "|" + name + "=" + std::to_string(port);
    }
    for (const auto& x : op.request.extra) {
      line += "|+" + x;
    }
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> full(const std::string& text, const std::string& ns) {
  return shown(batch_ops(parse_json(text, "batch"), "batch", ns));
}

}  // namespace

TEST_CASE("a plain batch is read in one pass as the full reader reads it") {
  const std::vector<std::string> plain = {
      R"([])",
      R"([{"model": "m", "app": 1}])",
      R"([{"app": 3, "model": "openai/gpt-5-mini", "pool": "wide", "project": "p-3"},
          {"model": "m", "app": 1000000, "op": "release"},
          {"model": "m", "app": 2, "op": "reserve", "namespace": "task-b"},
          {"model": "m \"x\" \\ \/", "app": 7, "namespace": "team-a"}])",
      "[ {\"model\":\"m\",\"app\":10}\r\n,\t{ \"app\" : 20 , \"model\" : \"m\" } ]\n",
  };
  for (const std::string& ns : {std::string(), std::string("team")}) {
    for (const auto& text : plain) {
      INFO(text);
      const auto fast = read_plain_batch(text, ns);
      REQUIRE(fast);
      CHECK(shown(*fast) == full(text, ns));
    }
  }
}

TEST_CASE("any other batch is left to the full reader") {
  const std::vector<std::string> other = {
      // read by the full reader, with pins or extra pools
      R"([{"model": "m", "app": 1, "ports": {"backend": 5001}}])",
      R"([{"model": "m", "app": 1, "extra": ["nodeport"]}])",
      // refused by it, each with its own message
      R"({"model": "m", "app": 1})",
      R"([{"model": "m", "app": 1}, 5])",
      R"([{"model": "m", "app": 1, "app": 2}])",
      R"([{"model": "m"}])",
      R"([{"app": 1}])",
      R"([{"model": "m", "app": 0}])",
      R"([{"model": "m", "app": 1000001}])",
      R"([{"model": "m", "app": -1}])",
      R"([{"model": "m", "app": 1.5}])",
      R"([{"model": "m", "app": "1"}])",
      R"([{"model": "m", "app": 1, "pool": null}])",
      R"([{"model": "m", "app": 1, "pool": true}])",
      R"([{"model": "m", "app": 1, "op": "keep"}])",
      R"([{"model": "m", "app": 1, "colour": "red"}])",
      R"([{"model": "", "app": 1}])",
      R"([{"model": "m", "app": 1, "namespace": "Task"}])",
      R"([{"model": "m", "app": 1, "namespace": ""}])",
      R"([{"model": "m", "app": 1}] x)",
      R"([{"model": "m", "app": 1})",
      R"([[]])",
      // valid, but beyond the plain reader: the full reader reads them
      R"([{"model": "caf\u00e9", "app": 7}])",
      "[{\"model\": \"caf\xc3\xa9\", \"app\": 7}]",
      R"([{"model": "m", "app": 1e2}])",
      R"([{"model": "m", "app": 1.0}])",
      // refused by the full reader
      R"([{"model": "m", "app": 01}])",
      R"([{"model": "m", "app": 1},])",
      R"([{"model": "m", "app": 1,}])",
      R"([{"model": "m", "app": 1} {"model": "m", "app": 2}])",
      R"([{"model": "m\q", "app": 1}])",
      "[{\"model\": \"m\tx\", \"app\": 1}]",
      R"([{"model": "m", "app": 12345678901234567890}])",
      R"([{}])",
      R"()",
  };
  for (const auto& text : other) {
    INFO(text);
    CHECK_FALSE(read_plain_batch(text, ""));
  }
  // A namespace given on the command line is checked as the full reader checks it.
  CHECK_FALSE(read_plain_batch(R"([{"model": "m", "app": 1}])", "Bad"));
}
