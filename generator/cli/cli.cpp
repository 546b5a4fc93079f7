#include "generator/cli/cli.hpp"

#include <cstdio>
#include <iostream>

#include "generator/cli/command.hpp"

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

// CLI11's parse errors, printed as berth's; a misspelt command (which CLI11 reports as a missing
// one) is named.
int parse_error(const CLI::App& app, const CLI::ParseError& e) {
  std::string message = e.what();
  const auto extras = app.remaining();
  if (!app.get_subcommands().size() && !extras.empty() && extras[0][0] != '-') {
    std::string names;
    for (const auto* sub : app.get_subcommands({})) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    message = "unknown command " + quote(extras[0]) + "; commands: " + names;
  }
  std::cerr << "berth: error: " << printable(message) << "\nRun 'berth --help' for usage.\n";
  return static_cast<int>(ErrorKind::usage);
}

// Runs the command that was parsed. Errors are printed once, as `berth: error: ...`, and
// whatever else escapes is reported the same way, never an abort.
int run_command(const std::vector<Command>& commands) {
  try {
    for (const auto& command : commands) {
      if (*command.sub) {
        return command.run();
      }
    }
    throw runtime_error("internal error: the command has no handler");
  } catch (const Error& e) {
    std::cerr << "berth: error: " << printable(e.what()) << '\n';
    for (const auto& d : e.details()) {
      std::cerr << "  " << printable(d) << '\n';
    }
    return static_cast<int>(e.kind());
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "berth: error: " << e.code().message() << ": " << quote(e.path1().string())
              << '\n';  // quote() escapes control bytes
    return static_cast<int>(ErrorKind::runtime);
  } catch (const std::exception& e) {
    std::cerr << "berth: error: " << printable(e.what()) << '\n';
    return static_cast<int>(ErrorKind::runtime);
  }
}

}  // namespace

int run_cli(int argc, char** argv) {
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
  const std::vector<Command> commands = {
      add_reserve(app, o), add_release(app, o),   add_list(app, o),     add_check(app, o),
      add_stats(app, o),   add_import(app, o),    add_export(app, o),   add_scaffold(app, o),
      add_plan(app, o),    add_build_app(app, o), add_pool(app, o),     add_lease(app, o),
      add_proxy(app, o),   add_templates(app, o), add_template(app, o), add_backfill(app, o),
      add_config(app, o),  add_doctor(app, o),    add_show(app, o),     add_prune(app, o),
      add_who(app, o),     add_init(app, o),    add_migrate(app, o)};
  app.require_subcommand(1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return parse_error(app, e);
  }
  o.store_given = store->count() > 0;
  o.ns_given = ns->count() > 0;
  return run_command(commands);
}

}  // namespace berth
