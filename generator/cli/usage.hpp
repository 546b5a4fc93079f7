#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace berth {

// `berth help [COMMAND...]` as `berth [COMMAND...] --help`: the same text either way. Other
// command lines are returned as they are.
std::vector<std::string> help_as_flag(std::vector<std::string> args);

// A CLI11 parse error in berth's words: the command it concerns, the option or argument, and
// the fix (a near name, the missing value's form, where the usage is).
std::string usage_message(const CLI::App& app, const CLI::ParseError& e);

// "unknown command 'X' [for 'PATH']", then the near one ("; did you mean ...?") or the list.
std::string unknown_command(const std::string& word, const std::vector<std::string>& names,
                            const std::string& path);

// The nearest of `names` to `word` when it is near enough to be a misspelling:
// "; did you mean 'NAME'?", else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& names);

}  // namespace berth
