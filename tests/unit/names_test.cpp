#include <catch2/catch.hpp>

#include "store/names.hpp"

using namespace berth;

TEST_CASE("model slugs follow the seed rule") {
  CHECK(model_slug("anthropic_claude-4.5-haiku-20251001") == "anthropic-claude-4-5-haiku-20251001");
  CHECK(model_slug("openai/gpt-5-mini") == "openai-gpt-5-mini");
  CHECK(model_slug("meta-llama/Llama-3.3-70B-Instruct") == "meta-llama-llama-3-3-70b-instruct");
  CHECK(model_slug("__a..b__") == "a-b");
  CHECK(model_slug("modèle") == "mod-le");
  CHECK(model_slug("日本語") == "model");
}

TEST_CASE("project names are valid for Docker") {
  CHECK(is_valid_project_name("anthropic-claude-4-5-haiku-20251001-app1"));
  CHECK(is_valid_project_name("a_b-1"));
  CHECK_FALSE(is_valid_project_name(""));
  CHECK_FALSE(is_valid_project_name("-a"));
  CHECK_FALSE(is_valid_project_name("_a"));
  CHECK_FALSE(is_valid_project_name("A"));
  CHECK_FALSE(is_valid_project_name("a.b"));
  CHECK_FALSE(is_valid_project_name(std::string(64, 'a')));
  CHECK(is_valid_project_name(std::string(63, 'a')));
}

TEST_CASE("project name candidates") {
  const AppKey key{"anthropic_claude-4.5-haiku-20251001", 1};
  CHECK(project_candidate(key, 0) == "anthropic-claude-4-5-haiku-20251001-app1");
  const std::string hashed = project_candidate(key, 1);
  CHECK(hashed.rfind("anthropic-claude-4-5-haiku-20251001-", 0) == 0);
  CHECK(hashed.size() == std::string("anthropic-claude-4-5-haiku-20251001-").size() + 8 + 5);
  CHECK(project_candidate(key, 2) != hashed);
  CHECK(project_candidate(key, 1) == hashed);  // stable

  // Too long for the seed rule: cut and hashed from the first candidate on, always valid.
  const AppKey long_key{std::string(150, 'x') + "/model", 1000000};
  for (unsigned k = 0; k < 4; ++k) {
    const std::string name = project_candidate(long_key, k);
    CHECK(name.size() <= 63);
    CHECK(is_valid_project_name(name));
    CHECK(name.size() >= 8 + 12);
  }
  CHECK(project_candidate(long_key, 0) == project_candidate(long_key, 1));
  CHECK(project_candidate(long_key, 1) != project_candidate(long_key, 2));

  // Models that differ only in punctuation share a seed name but not a hashed one.
  CHECK(project_candidate({"a.b", 1}, 0) == project_candidate({"a_b", 1}, 0));
  CHECK(project_candidate({"a.b", 1}, 1) != project_candidate({"a_b", 1}, 1));
  // A slug cut at a '-' drops it rather than ending the cut part with '-'.
  const std::string cut =
      project_candidate({std::string(45, 'a') + "-" + std::string(30, 'b'), 7}, 0);
  CHECK(cut.find("--") == std::string::npos);
  CHECK(is_valid_project_name(cut));
}

TEST_CASE("FNV-1a 64 matches its published test vectors") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
}
