// One example per command, shown at the end of its help (and so in the man page). The e2e cli
// test runs every one of them in a prepared folder (tests/e2e/help_check.py).
#include <cstring>

#include "generator/cli/command.hpp"

namespace berth {

namespace {

struct Example {
  const char* command;  // its words: "pool set"
  const char* line;
};

constexpr Example k_examples[] = {
    {"reserve", "berth reserve claude 3"},
    {"release", "berth release claude 2"},
    {"list", "berth list --model claude"},
    {"check", "berth check"},
    {"stats", "berth stats"},
    {"import", "berth import backup.json"},
    {"export", "berth export -o backup.json"},
    {"scaffold", "berth scaffold claude 1 --out apps/claude/app1"},
    {"plan", "berth plan apps.json --stamps stamps"},
    {"build-app", "berth build-app stamps/gpt_app1.stamp"},
    {"pool", "berth pool"},
    {"pool show", "berth pool show"},
    {"pool set",
     "berth pool set staging --range backend=12001-12999 --range "
     "frontend=13001-13999 --step 2"},
    {"pool remove", "berth pool remove staging"},
    {"pool exclude", "berth pool exclude 7777"},
    {"pool include", "berth pool include 5432"},
    {"lease", "berth lease acquire pr-17"},
    {"lease acquire", "berth lease acquire pr-17 --ttl 2h"},
    {"lease renew", "berth lease renew pr-1 --ttl 4h"},
    {"lease release", "berth lease release pr-1"},
    {"lease expire", "berth lease expire --dry-run"},
    {"lease list", "berth lease list --pool preview"},
    {"proxy", "berth proxy --output front-door.conf"},
    {"templates", "berth templates --wide"},
    {"template", "berth template init my-template"},
    {"template init", "berth template init stack --name my-stack --move"},
    {"backfill", "berth backfill old-apps --dry-run"},
    {"config", "berth config skip-busy on"},
    {"doctor", "berth doctor"},
    {"show", "berth show claude 1"},
    {"status", "berth status --model claude --front-door 8080"},
    {"prune", "berth prune --dry-run"},
    {"who", "berth who 5001"},
    {"init", "berth init"},
    {"migrate", "berth migrate"},
};

std::string words_of(const CLI::App* sub) {
  std::string words = sub->get_name();
  for (const CLI::App* up = sub->get_parent(); up && up->get_parent(); up = up->get_parent()) {
    words = up->get_name() + " " + words;
  }
  return words;
}

}  // namespace

void add_examples(CLI::App& app) {
  for (auto* sub : app.get_subcommands({})) {
    if (sub->get_group().empty()) {
      continue;  // hidden
    }
    const std::string words = words_of(sub);
    for (const auto& e : k_examples) {
      if (words == e.command) {
        sub->footer(std::string("Example:\n  ") + e.line);
      }
    }
    add_examples(*sub);
  }
}

}  // namespace berth
