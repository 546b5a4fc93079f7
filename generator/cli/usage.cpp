#include "generator/cli/usage.hpp"

#include <algorithm>
#include <regex>

#include "generator/template/render.hpp"
#include "store/error.hpp"

namespace berth {

namespace {

// The command the parse reached: the deepest subcommand parsed (the app itself for none), its
// words put in `path` ("pool set"; "" for none).
const CLI::App* reached(const CLI::App& app, std::string& path) {
  const CLI::App* at = &app;
  for (auto subs = at->get_subcommands(); !subs.empty(); subs = at->get_subcommands()) {
    at = subs.front();
    path += (path.empty() ? "" : " ") + at->get_name();
  }
  return at;
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands({})) {
    if (!sub->get_group().empty()) {  // hidden commands are not offered
      names.push_back(sub->get_name());
    }
  }
  return names;
}

// Every long option of a command and of the commands above it (global options work anywhere).
std::vector<std::string> option_names(const CLI::App* at) {
  std::vector<std::string> names;
  for (; at != nullptr; at = at->get_parent()) {
    for (const auto* opt : at->get_options()) {
      for (const auto& name : opt->get_lnames()) {
        names.push_back("--" + name);
      }
    }
  }
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

// An argument no command or option took: a misspelt command, an unknown option, or one
// positional too many.
std::string extra_message(const CLI::App* at, const std::string& path, const std::string& extra) {
  const std::string where = path.empty() ? "" : " for " + quote(path);
  const std::string help = "; see berth " + (path.empty() ? "" : path + " ") + "--help";
  if (!extra.empty() && extra[0] == '-') {
    const std::string name = extra.substr(0, extra.find('='));
    const std::string near = did_you_mean(name, option_names(at));
    return "unknown option " + quote(name) + where + (near.empty() ? help : near);
  }
  const auto commands = command_names(*at);
  if (commands.empty()) {
    return "unexpected argument " + quote(extra) + where + help;
  }
  return unknown_command(extra, commands, path);
}

}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& names) {
  const std::string* best = nullptr;
  std::size_t best_distance = std::max<std::size_t>(1, word.size() / 4) + 1;
  for (const auto& name : names) {
    const std::size_t d = edit_distance(word, name);
    if (d < best_distance) {
      best = &name;
      best_distance = d;
    }
  }
  return best ? "; did you mean " + quote(*best) + "?" : "";
}

std::string unknown_command(const std::string& word, const std::vector<std::string>& names,
                            const std::string& path) {
  const std::string near = did_you_mean(word, names);
  return "unknown command " + quote(word) + (path.empty() ? "" : " for " + quote(path)) +
         (near.empty() ? "; commands: " + joined(names) : near);
}

std::vector<std::string> help_as_flag(std::vector<std::string> args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--store" || args[i] == "--namespace") {
      ++i;
    } else if (args[i] == "help") {
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      args.push_back("--help");
      return args;
    } else if (args[i].empty() || args[i][0] != '-') {
      return args;
    }
  }
  return args;
}

std::string usage_message(const CLI::App& app, const CLI::ParseError& e) {
  using Code = CLI::ExitCodes;
  std::string path;
  const CLI::App* at = reached(app, path);
  const std::string what = e.what();
  const auto code = static_cast<Code>(e.get_exit_code());  // names vary, codes do not
  const auto extras = app.remaining(true);
  if (code == Code::ExtrasError || !extras.empty()) {  // before what they made fail
    return extra_message(at, path, extras.empty() ? "" : extras.front());
  }
  std::smatch m;
  if (code == Code::ArgumentMismatch &&
      std::regex_match(what, m, std::regex(R"((\S+): \d+ required (\S+) missing)"))) {
    return m[1].str() + " needs a value (" + m[2].str() + ")";
  }
  if (code == Code::RequiredError && what.find("subcommand is required") != std::string::npos) {
    return (path.empty() ? "berth" : "berth " + path) +
           " needs a command: " + joined(command_names(*at)) + "; see berth " +
           (path.empty() ? "" : path + " ") + "--help";
  }
  if (code == Code::ExcludesError &&
      std::regex_match(what, m, std::regex(R"((\S+) excludes (\S+))"))) {
    return m[1].str() + " and " + m[2].str() + " cannot be given together";
  }
  if (code == Code::ValidationError &&
      std::regex_match(what, m, std::regex(R"((\S+): Value (.*) not in range (\S+) to (\S+))"))) {
    return m[1].str() + " " + quote(m[2].str()) + " is out of range: give " + m[3].str() + " to " +
           m[4].str();
  }
  if (code == Code::RequiredError &&
      std::regex_match(what, m, std::regex(R"((\S+) is required)"))) {
    const std::string name = m[1].str();
    return (path.empty() ? "berth" : "berth " + path) + " needs " +
           (name[0] == '-' ? name : "its argument " + quote(name)) + "; see berth " +
           (path.empty() ? "" : path + " ") + "--help";
  }
  return (path.empty() ? "" : path + ": ") + what;
}

}  // namespace berth
