#pragma once

#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "generator/app/folder.hpp"
#include "generator/app/scaffold_app.hpp"
#include "generator/configure/build_app.hpp"
#include "generator/configure/plan.hpp"
#include "generator/host/host.hpp"
#include "generator/io/fileio.hpp"
#include "generator/io/inputs.hpp"
#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/store.hpp"

// What every command of the berth CLI shares: the global options, the store, parsing of
// command-line values, and printing. One file per command family in this folder adds its
// subcommands (`add_<name>`); `run_cli` (cli.cpp) wires them and reports errors.
namespace berth {

// The global options (--store, --namespace, --json), filled by CLI11 before a command runs.
struct Options {
  std::string store;
  bool store_given = false;  // --store was given (an empty value is refused, never the default)
  std::string ns;
  bool ns_given = false;  // --namespace was given (checked by namespace_of)
  bool json = false;
};

// A command: its CLI11 subcommand, and what runs when it is chosen (returns the exit code,
// throws berth::Error).
struct Command {
  CLI::App* sub = nullptr;
  std::function<int()> run;
};

Command add_reserve(CLI::App& app, const Options& o);
Command add_release(CLI::App& app, const Options& o);
Command add_list(CLI::App& app, const Options& o);
Command add_check(CLI::App& app, const Options& o);
Command add_stats(CLI::App& app, const Options& o);
Command add_import(CLI::App& app, const Options& o);
Command add_export(CLI::App& app, const Options& o);
Command add_scaffold(CLI::App& app, const Options& o);
Command add_build_app(CLI::App& app, const Options& o);
Command add_plan(CLI::App& app, const Options& o);
Command add_pool(CLI::App& app, const Options& o);
Command add_lease(CLI::App& app, const Options& o);
Command add_proxy(CLI::App& app, const Options& o);
Command add_templates(CLI::App& app, const Options& o);
Command add_template(CLI::App& app, const Options& o);
Command add_backfill(CLI::App& app, const Options& o);
Command add_config(CLI::App& app, const Options& o);
Command add_doctor(CLI::App& app, const Options& o);
Command add_show(CLI::App& app, const Options& o);
Command add_prune(CLI::App& app, const Options& o);
Command add_who(CLI::App& app, const Options& o);
Command add_status(CLI::App& app, const Options& o);
Command add_init(CLI::App& app, const Options& o);
Command add_migrate(CLI::App& app, const Options& o);
Command add_generate(CLI::App& app, const Options& o);  // hidden: the man page, completions
// Ends each command's help with its example (examples.cpp).
void add_examples(CLI::App& app);

// The store folder: --store (refused when empty), else Store::default_dir().
std::filesystem::path store_dir(const Options& o);
// The store; `read_only` for commands that only read it.
Store open_store(const Options& o, bool read_only = false);

// Whether a new allocation steps over ports something listens on now: on with --skip-busy, off
// with --no-skip-busy, else the store's `skip-busy` setting (`berth config`), else `by_default`.
bool skip_busy(const Store& store, bool on, bool off, bool by_default = false);
// Adds the --skip-busy and --no-skip-busy flags to a command.
void add_skip_busy(CLI::App* sub, bool& on, bool& off);

// Throws a usage error when `option` was given with an empty value (an empty --pool is never
// the default pool).
void refuse_empty(const CLI::App* sub, const std::string& option, const std::string& value);

// The namespace of the apps a command names: --namespace (checked), else none.
std::string namespace_of(const Options& o);
// The app MODEL N in the namespace of --namespace; a usage error naming a bad model, number or
// namespace.
AppKey app_key_of(const Options& o, const std::string& model, const std::string& app);
// What `list`, `prune` and `export`-like commands narrow to: --namespace when given.
AppFilter namespace_filter(const Options& o);
// The apps a command's --model and --owner (when given, each validated) and --namespace name.
AppFilter app_filter(const Options& o, const CLI::App* sub, const std::string& model,
                     const std::string& owner);

// Parsing helpers: every one names the bad value.
long long parse_int(const std::string& text, const std::string& what);
std::uint32_t parse_app(const std::string& text);
// NAME=PORT
std::pair<std::string, std::uint16_t> parse_pin(const std::string& text);
std::map<std::string, std::uint16_t> parse_pins(const std::vector<std::string>& texts);
// NAME=FIRST-LAST
PortRange parse_range(const std::string& text);

// [ADDR:]PORT, the front door's address, as nginx's ADDR:PORT (a PORT alone: 127.0.0.1:PORT);
// a usage error naming `option`.
std::string parse_listen(const std::string& text, const std::string& option);
// "15m", "900s", "1h", "2d", "2w" or plain seconds, as seconds; a usage error naming `option`.
std::int64_t parse_duration(const std::string& text, const std::string& option);

// A plain text table: columns padded to their widest cell, two spaces apart.
// The columns a table cell takes: its UTF-8 characters.
std::size_t columns(std::string_view cell);
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);
// The seed's table: Model, App, (Pool when more than one), one column per port name, Project.
void print_reservations(std::ostream& out, const std::vector<Reservation>& list);
nlohmann::json result_json(const ReserveResult& r);
nlohmann::json results_json(const std::vector<ReserveResult>& results);
// Two-space indented JSON and a newline, on standard output.
void print_json(const nlohmann::json& j);
// "name=first-last"
std::string range_text(const PortRange& r);

}  // namespace berth
