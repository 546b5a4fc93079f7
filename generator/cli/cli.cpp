#include "generator/cli/cli.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "generator/cli/command.hpp"
#include "generator/cli/usage.hpp"

namespace berth {

namespace {

// A message as printed: control bytes a user's value may carry (an escape sequence, a carriage
// return) are shown as \xNN, never sent to the terminal; newlines between lines stay.
std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// An error as berth reports it, on standard error: `berth: error: <message>` and a line per
// problem; with --json, one JSON object {"error", "exit", "problems"} on one line instead.
int report_error(const std::string& message, const std::vector<std::string>& problems,
                 ErrorKind kind, bool json) {
  const int code = static_cast<int>(kind);
  if (json) {
    const nlohmann::json doc = {{"error", message}, {"exit", code}, {"problems", problems}};
    std::cerr << doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return code;
  }
  std::cerr << "berth: error: " << printable(message) << '\n';
  for (const auto& p : problems) {
    std::cerr << "  " << printable(p) << '\n';
  }
  return code;
}

// Runs the command that was parsed. Errors are reported once (report_error), and whatever else
// escapes is reported the same way, never an abort.
int run_command(const std::vector<Command>& commands, bool json) {
  try {
    for (const auto& command : commands) {
      if (*command.sub) {
        return command.run();
      }
    }
    throw runtime_error("internal error: the command has no handler");
  } catch (const Error& e) {
    return report_error(e.what(), e.details(), e.kind(), json);
  } catch (const std::filesystem::filesystem_error& e) {
    return report_error(e.code().message() + ": " + quote(e.path1().string()), {},
                        ErrorKind::runtime, json);  // quote() escapes control bytes
  } catch (const std::exception& e) {
    return report_error(e.what(), {}, ErrorKind::runtime, json);
  }
}

// Every command, by name: a run builds the options of the command it runs only (building all
// of them costs more than the rest of a `berth --version`).
using Factory = Command (*)(CLI::App&, const Options&);
struct Entry {
  const char* name;
  Factory add;
};
constexpr Entry k_commands[] = {{"reserve", add_reserve},    {"release", add_release},
                                {"list", add_list},          {"check", add_check},
                                {"stats", add_stats},        {"import", add_import},
                                {"export", add_export},      {"scaffold", add_scaffold},
                                {"plan", add_plan},          {"build-app", add_build_app},
                                {"pool", add_pool},          {"lease", add_lease},
                                {"proxy", add_proxy},        {"templates", add_templates},
                                {"template", add_template},  {"backfill", add_backfill},
                                {"config", add_config},      {"doctor", add_doctor},
                                {"show", add_show},          {"status", add_status},
                                {"prune", add_prune},        {"who", add_who},
                                {"init", add_init},          {"migrate", add_migrate},
                                {"__generate", add_generate}};

// The command a command line names: its first word that is not a global option or its value.
// Empty when there is none (`berth --version`, `berth --help`, `berth`).
std::string invoked_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--store" || arg == "--namespace") {
      ++i;
    } else if (arg.empty() || arg[0] != '-') {
      return arg;
    }
  }
  return {};
}

// The commands to build: the one named when berth knows it; none for `berth --version`; all
// for help, for no command and for an unknown one (whose error lists them).
std::vector<Command> add_commands(CLI::App& app, const Options& o, int argc, char** argv) {
  const std::string wanted = invoked_command(argc, argv);
  // __generate describes every command, so it needs them all.
  const bool known =
      wanted != "__generate" && std::any_of(std::begin(k_commands), std::end(k_commands),
                                            [&](const Entry& e) { return wanted == e.name; });
  bool version_only = false;
  for (int i = 1; i < argc && wanted.empty(); ++i) {
    version_only = version_only || std::string(argv[i]) == "--version";
  }
  std::vector<Command> commands;
  for (const auto& e : k_commands) {
    if ((known && wanted != e.name) || version_only) {
      continue;
    }
    commands.push_back(e.add(app, o));
    const CLI::App* top = commands.back().sub;  // `template init` runs under `template`
    while (top->get_parent() != &app) {
      top = top->get_parent();
    }
    if (top->get_name() != e.name) {
      throw std::logic_error(std::string("command table: ") + e.name + " builds " +
                             top->get_name());
    }
  }
  return commands;
}

// `berth bogus --help` (or `berth help bogus`): an unknown command, not the general help. The
// error's message, or "" when the command line is not that.
std::string unknown_command_help(int argc, char** argv) {
  const std::string wanted = invoked_command(argc, argv);
  std::vector<std::string> names;
  for (const auto& e : k_commands) {
    if (e.name[0] != '_') {  // hidden commands are not offered
      names.push_back(e.name);
    }
  }
  if (wanted.empty() || std::find(names.begin(), names.end(), wanted) != names.end() ||
      std::none_of(argv + 1, argv + argc, [](const char* a) {
        return std::string(a) == "--help" || std::string(a) == "-h";
      })) {
    return "";
  }
  return unknown_command(wanted, names, "");
}

}  // namespace

int run_cli(int argc, char** argv) {
  // `berth help X` is `berth X --help`.
  std::vector<std::string> args = help_as_flag(std::vector<std::string>(argv, argv + argc));
  std::vector<char*> arg_ptrs;
  for (auto& a : args) {
    arg_ptrs.push_back(a.data());
  }
  argc = static_cast<int>(arg_ptrs.size());
  argv = arg_ptrs.data();
  // --json, before the parse could set it (a usage error reports as JSON too).
  const bool json =
      std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string(a) == "--json"; });
  if (const std::string unknown = unknown_command_help(argc, argv); !unknown.empty()) {
    return report_error(unknown, {}, ErrorKind::usage, json);
  }
  CLI::App app("berth: ports and names for generated, containerized apps", "berth");
  app.set_version_flag("--version", "berth " BERTH_VERSION);
  app.fallthrough();  // global options may follow the command

  Options o;
  auto* store = app.add_option("--store", o.store,
                               "Store folder (default: $BERTH_STORE, else the host store when "
                               "one exists, else $XDG_STATE_HOME/berth or ~/.local/state/berth)")
                    ->type_name("DIR");
  auto* ns = app.add_option("--namespace", o.ns,
                            "The namespace of the apps a command names (default: none); list "
                            "and prune look only at its apps")
                 ->type_name("NS");
  app.add_flag("--json", o.json, "Print JSON instead of text");

  // One file per command family, in generator/cli/.
  const std::vector<Command> commands = add_commands(app, o, argc, argv);
  app.require_subcommand(1);
  add_examples(app);
  app.footer(
      "`berth help COMMAND` shows a command's options and an example; `man berth` the "
      "whole manual.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(usage_message(app, e), {}, ErrorKind::usage, json);
  }
  o.store_given = store->count() > 0;
  o.ns_given = ns->count() > 0;
  return run_command(commands, o.json);
}

}  // namespace berth
