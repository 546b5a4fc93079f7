#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "store/error.hpp"
#include "store/keys.hpp"
#include "store/model.hpp"

using namespace berth;

TEST_CASE("model names: any UTF-8 up to 200 bytes without control characters") {
  CHECK_NOTHROW(validate_model("openai/gpt-5-mini"));
  CHECK_NOTHROW(validate_model("anthropic_claude-4.5-haiku-20251001"));
  CHECK_NOTHROW(validate_model("meta-llama/Llama-3.3-70B-Instruct"));
  CHECK_NOTHROW(validate_model("modèle-日本語 🚀"));
  CHECK_NOTHROW(validate_model(std::string(200, 'm')));

  CHECK_THROWS_WITH(validate_model(""), "model name is empty");
  CHECK_THROWS_WITH(validate_model(std::string(201, 'm')), Catch::Contains("201 bytes"));
  CHECK_THROWS_WITH(validate_model("a\tb"),
                    Catch::Contains("control character or line separator (at byte 1)"));
  CHECK_THROWS_WITH(validate_model("a\x7f"), Catch::Contains("control character"));
  CHECK_THROWS_WITH(validate_model("a\xc2\x85"), Catch::Contains("control character"));  // U+0085
  CHECK_THROWS_WITH(validate_model("a\xff"), Catch::Contains("not valid UTF-8 (at byte 1)"));
  CHECK_THROWS_WITH(validate_model("\xc0\xaf"), Catch::Contains("not valid UTF-8"));  // overlong
  CHECK_THROWS_WITH(validate_model("\xed\xa0\x80"),
                    Catch::Contains("not valid UTF-8"));                                // surrogate
  CHECK_THROWS_WITH(validate_model("ab\xe6\x97"), Catch::Contains("not valid UTF-8"));  // cut short
}

TEST_CASE("app numbers and ports are range-checked") {
  CHECK_NOTHROW(validate_app(1));
  CHECK_NOTHROW(validate_app(1000000));
  CHECK_THROWS_WITH(validate_app(0), Catch::Contains("app number 0 is out of range"));
  CHECK_THROWS_WITH(validate_app(1000001), Catch::Contains("1000001"));
  CHECK(validate_port(65535, "port") == 65535);
  CHECK_THROWS_WITH(validate_port(65536, "port"), Catch::Contains("65536 is not a port"));
  CHECK_THROWS_WITH(validate_port(0, "port"), Catch::Contains("0 is not a port"));
}

TEST_CASE("pool slots map to ports") {
  const Pool pool{"apps", {{"backend", 5001, 7999}, {"frontend", 8001, 10999}}, 2};
  CHECK(pool.capacity() == 1500);
  CHECK(pool.port_at(0, 0) == 5001);
  CHECK(pool.port_at(1, 2) == 8005);
  CHECK(pool.slot_of(0, 5005) == 2u);
  CHECK_FALSE(pool.slot_of(0, 5004));  // between slots
  CHECK_FALSE(pool.slot_of(0, 8001));  // outside the range
  CHECK(pool.role_of("frontend") == 1u);
  CHECK_FALSE(pool.role_of("db"));
  // The smallest range decides the capacity.
  const Pool uneven{"u", {{"a", 100, 109}, {"b", 200, 203}}, 1};
  CHECK(uneven.capacity() == 4);
}

TEST_CASE("pool validation names the problem") {
  CHECK_NOTHROW(
      validate_pool({"apps", {{"backend", 5001, 7999}, {"frontend", 8001, 10999}}, 2}, false));
  CHECK_THROWS_WITH(validate_pool({"Bad", {{"a", 1, 2}}, 1}, false),
                    Catch::Contains("pool name 'Bad' is invalid"));
  CHECK_THROWS_WITH(validate_pool({"p", {}, 1}, false), Catch::Contains("names no ports"));
  CHECK_THROWS_WITH(validate_pool({"p", {{"a", 10, 5}}, 1}, false), Catch::Contains("is empty"));
  CHECK_THROWS_WITH(validate_pool({"p", {{"a", 1, 100}, {"b", 50, 200}}, 1}, false),
                    Catch::Contains("ranges a and b overlap"));
  CHECK_THROWS_WITH(validate_pool({"p", {{"a", 1, 100}, {"a", 200, 300}}, 1}, false),
                    Catch::Contains("'a' appears twice"));
  CHECK_THROWS_WITH(validate_pool({"p", {{"A-b", 1, 100}}, 1}, false),
                    Catch::Contains("port name 'A-b' is invalid"));
  CHECK_THROWS_WITH(validate_pool({"p", {{"a", 30000, 40000}}, 1}, false),
                    Catch::Contains("enters the ephemeral range"));
  CHECK_NOTHROW(validate_pool({"p", {{"a", 30000, 40000}}, 1}, true));
}

TEST_CASE("app keys: the empty namespace encodes as before namespaces, others in front") {
  using namespace std::string_literals;
  CHECK(keys::app_key({"m", 258}) == "m\0\0\0\1\2"s);
  CHECK(keys::app_key({"m", 258, "task-b"}) == "task-b\2m\0\0\0\1\2"s);
  CHECK(keys::decode_app_key("task-b\2m\0\0\0\1\2"s) == AppKey{"m", 258, "task-b"});
  CHECK(keys::decode_app_key("m\0\0\0\1\2"s) == AppKey{"m", 258, ""});
  CHECK(AppKey{"a", 1, "z"} != AppKey{"a", 1, ""});
  CHECK_NOTHROW(validate_namespace("task-b"));
  CHECK_NOTHROW(validate_namespace(std::string(24, 'a')));
  CHECK_THROWS_WITH(validate_namespace("Task"), Catch::Contains("namespace 'Task' must be"));
}

TEST_CASE("time values: written as nlohmann writes them, read back") {
  for (const std::int64_t t : {std::int64_t(0), std::int64_t(7), std::int64_t(1733150000),
                               std::numeric_limits<std::int64_t>::max()}) {
    const std::string v = keys::encode_time("created", t);
    CHECK(v == nlohmann::json{{"created", t}}.dump());
    CHECK(keys::decode_time("created", v, "test") == t);
  }
  CHECK(keys::encode_time("seen", 12) == R"({"seen":12})");
}

TEST_CASE("times are shown in UTC, each as itself when asked again or in turn") {
  for (int round = 0; round < 2; ++round) {
    CHECK(iso_utc(0) == "1970-01-01T00:00:00Z");
    CHECK(iso_utc(0) == "1970-01-01T00:00:00Z");
    CHECK(iso_utc(1800000000) == "2027-01-15T08:00:00Z");
    CHECK(iso_utc(-1) == "1969-12-31T23:59:59Z");
  }
}
